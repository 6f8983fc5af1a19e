// Real Aisle processes for end-to-end tests, started the way a user starts them (`bun run …`).
import type { Subprocess } from 'bun'
import { join } from 'node:path'
import { freePort } from './ferretdb'
import { amqpUrl, mongoUrl } from './services'

const root = join(import.meta.dir, '../..')

export interface RunningProcess {
  url: string
  proc: Subprocess
  /** What the process has printed so far (for failure messages). */
  output(): Promise<string>
  /** SIGKILL to the process and everything it started: a crash, no shutdown code runs. */
  kill(): Promise<void>
  /** SIGTERM and wait: a graceful stop. */
  stop(): Promise<void>
}

/** The environment for a mode: the embedded default has no service URLs, production has both. */
export function modeEnv(embedded: boolean, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn', ...extra }
  delete env.MONGODB_URL
  delete env.AMQP_URL
  if (!embedded) {
    env.MONGODB_URL = mongoUrl!
    env.AMQP_URL = amqpUrl
  }
  return env
}

async function descendants(pid: number): Promise<number[]> {
  const out = await Bun.$`pgrep -P ${pid}`.nothrow().quiet().text()
  const children = out.split('\n').filter(Boolean).map(Number)
  const nested = await Promise.all(children.map(descendants))
  return [...children, ...nested.flat()]
}

export async function startAisle(script: 'server' | 'worker' | 'dev', env: Record<string, string>): Promise<RunningProcess> {
  const port = script === 'worker' ? 0 : await freePort()
  const logFile = join(env.DATA_DIR ?? '/tmp', `${script}-${port}-${Date.now()}.log`)
  const proc = Bun.spawn(['bun', 'run', script], {
    cwd: root,
    env: { ...env, PORT: String(port) },
    stdout: Bun.file(logFile),
    stderr: Bun.file(logFile),
  })
  const url = `http://127.0.0.1:${port}`
  const running: RunningProcess = {
    url,
    proc,
    output: async () => (await Bun.file(logFile).exists() ? Bun.file(logFile).text() : ''),
    kill: async () => {
      for (const pid of [...(await descendants(proc.pid)), proc.pid]) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await proc.exited
    },
    stop: async () => {
      for (const pid of await descendants(proc.pid)) {
        try {
          process.kill(pid, 'SIGTERM')
        } catch {
          // already gone
        }
      }
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
  if (script === 'worker') {
    await Bun.sleep(300)
    if (proc.exitCode !== null) throw new Error(`worker exited at start:\n${await running.output()}`)
    return running
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${script} exited at start:\n${await running.output()}`)
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false)
    if (ok) return running
    if (Date.now() > deadline) throw new Error(`${script} did not answer /health:\n${await running.output()}`)
    await Bun.sleep(100)
  }
}

/** JSON over HTTP with the API key, as a webshop's backend would send it. */
export function httpClient(baseUrl: string, apiKey?: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
  }
}
