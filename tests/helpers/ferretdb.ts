// A FerretDB process of a test's own, to stop and restart mid-stream (a database outage).
import type { Subprocess } from 'bun'
import { connect } from 'node:net'
import { join } from 'node:path'
import { tempDir } from './adapters'

export const ferretBin = process.env.FERRETDB_BIN ?? join(import.meta.dir, '../../.cache/bin/ferretdb')
export const hasFerretBin = await Bun.file(ferretBin).exists()

export async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

export async function startFerret() {
  const port = await freePort()
  const data = tempDir('aisle-ferret-')
  let proc: Subprocess | null = null
  const start = async () => {
    proc = Bun.spawn([ferretBin, '-listen', `127.0.0.1:${port}`, '-dir', data.dir], { stdout: 'ignore', stderr: 'ignore' })
    const deadline = Date.now() + 20_000
    while (!(await answers(port))) {
      if (Date.now() > deadline) throw new Error('FerretDB did not start')
      await Bun.sleep(50)
    }
  }
  const stop = async () => {
    proc?.kill('SIGKILL')
    await proc?.exited
    proc = null
  }
  await start()
  return { url: `mongodb://127.0.0.1:${port}/`, start, stop, dispose: async () => { await stop(); data.remove() } }
}
