// "202 means durable" in the embedded default: a server killed with SIGKILL right after its
// 202s loses nothing, and the restarted process stores every accepted event exactly once.
import { afterAll, expect, test } from 'bun:test'
import { tempDir } from '../helpers/adapters'
import { httpClient, modeEnv, startAisle, type RunningProcess } from '../helpers/processes'
import { waitFor } from '../helpers/services'

const data = tempDir('aisle-kill-')
const processes: RunningProcess[] = []
afterAll(async () => {
  for (const p of processes) await p.stop().catch(() => {})
  data.remove()
})

test('SIGKILL after 202: every accepted event is stored once after restart (embedded)', async () => {
  const env = modeEnv(true, { DATA_DIR: data.dir })
  // The API alone: nothing consumes, so every accepted event is still in the queue when it dies.
  const server = await startAisle('server', env)
  processes.push(server)
  const reg = await httpClient(server.url)('POST', '/webshops/register', { email: 'kill@example.com', name: 'Kill', password: 'long enough' })
  const api = httpClient(server.url, reg.body.apiKey)

  const requests = Array.from({ length: 40 }, (_, r) =>
    api('POST', '/events', Array.from({ length: 25 }, (_, i) => ({ eventId: `r${r}-e${i}`, type: 'view', user: { id: `u${r % 7}` }, item: { id: `i${i}` } }))),
  )
  const answers = await Promise.all(requests)
  expect(answers.every((a) => a.status === 202)).toBe(true)
  const accepted = answers.reduce((n, a) => n + a.body.accepted, 0)
  expect(accepted).toBe(1000)
  await server.kill()

  const dev = await startAisle('dev', env)
  processes.push(dev)
  const after = httpClient(dev.url, reg.body.apiKey)
  const totals = await waitFor(async () => {
    const r = await after('GET', '/webshops')
    return r.body.totals.events === accepted ? r.body.totals : null
  }, 30_000, 'all accepted events to be stored after the restart')
  expect(totals).toEqual({ users: 7, items: 25, events: 1000 })
  const u0 = await after('GET', '/users/u0/events?limit=1000')
  const ids = u0.body.events.map((e: { eventId: string }) => e.eventId)
  expect(new Set(ids).size).toBe(ids.length)
  expect(ids.length).toBe(6 * 25)
}, 90_000)
