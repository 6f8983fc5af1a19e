// The whole product over HTTP, with real processes: register, send events, see them stored,
// train, recommend, delete. Run against the embedded default (separate server and worker
// processes sharing the SQLite file) and, where reachable, RabbitMQ + the MongoDB wire protocol
// with two server processes.
import { afterAll, describe, expect, test } from 'bun:test'
import { MongoStore } from '../../core/store/mongo'
import { openSqlite, STORE_FILE } from '../../core/sqlite'
import { SqliteStore } from '../../core/store/sqlite'
import type { Store } from '../../core/store/store'
import { rabbitBusFactory, tempDir } from '../helpers/adapters'
import { httpClient, modeEnv, startAisle, type RunningProcess } from '../helpers/processes'
import { hasMongo, hasRabbit, mongoUrl, uniqueName, waitFor } from '../helpers/services'

interface Mode {
  name: string
  servers: number
  env: () => Record<string, string>
  openStore: (env: Record<string, string>) => Promise<Store>
  dispose: () => Promise<void>
}

const data = tempDir('aisle-e2e-')
afterAll(() => data.remove())

const modes: Mode[] = [
  {
    name: 'embedded',
    servers: 1,
    env: () => modeEnv(true, { DATA_DIR: data.dir }),
    openStore: async (env) => new SqliteStore(openSqlite(env.DATA_DIR!, STORE_FILE)),
    dispose: async () => {},
  },
]
if (hasMongo && hasRabbit) {
  const rabbit = rabbitBusFactory()
  const db = uniqueName('aisle_e2e')
  modes.push({
    name: 'RabbitMQ + MongoDB wire protocol',
    servers: 2,
    env: () =>
      modeEnv(false, {
        DATA_DIR: data.dir,
        MONGODB_DB: db,
        EVENTS_EXCHANGE: rabbit.topology.eventsExchange,
        EVENTS_QUEUE: rabbit.topology.eventsQueue,
        TRAIN_QUEUE: rabbit.topology.trainQueue,
        MODELS_EXCHANGE: rabbit.topology.modelsExchange,
        WORKER_BATCH_SIZE: '100',
      }),
    openStore: async () => {
      const store = new MongoStore(mongoUrl!, db)
      await store.init()
      return store
    },
    dispose: rabbit.dispose,
  })
}

// Two taste clusters: a* items go together, b* items go together.
function shopEvents() {
  const events: unknown[] = []
  for (let u = 1; u <= 8; u++) {
    const cluster = u <= 4 ? 'a' : 'b'
    const items = u === 1 ? ['1', '2'] : ['1', '2', '3', '4']
    for (const i of items) {
      events.push({ type: 'view', user: { id: `u${u}`, attributes: { country: 'NL' } }, item: { id: `${cluster}${i}`, attributes: { category: cluster } } })
      events.push({ type: 'purchase', user: { id: `u${u}` }, item: { id: `${cluster}${i}` } })
    }
  }
  return events
}

for (const mode of modes) {
  describe(`end to end (${mode.name})`, () => {
    const processes: RunningProcess[] = []
    afterAll(async () => {
      for (const p of processes) await p.stop()
      await mode.dispose()
    })
    const explain = async (err: unknown) => {
      // The processes' own logs are the first thing to read when this fails in CI.
      for (const p of processes) console.error(`--- ${p.url} ---\n${(await p.output()).slice(-4000)}`)
      throw err
    }

    test('register → events → stored → train → recommend → delete', () => flow().catch(explain), 120_000)

    const flow = async () => {
      const env = mode.env()
      const worker = await startAisle('worker', env)
      processes.push(worker)
      const servers: RunningProcess[] = []
      for (let n = 0; n < mode.servers; n++) servers.push(await startAisle('server', env))
      processes.push(...servers)
      const [server] = servers as [RunningProcess]

      const anon = httpClient(server.url)
      const email = `${uniqueName('shop')}@example.com`
      const registered = await anon('POST', '/webshops/register/', { email, name: 'E2E Shop', password: 'correct horse' })
      expect(registered.status).toBe(201)
      expect(registered.body.apiKey).toMatch(/^aisle_[A-Za-z0-9_-]{43}$/)
      expect(registered.body.webshop).not.toHaveProperty('passwordHash')
      const again = await anon('POST', '/webshops/register', { email, name: 'Other', password: 'correct horse' })
      expect(again.status).toBe(409)
      const webshopId: string = registered.body.webshop.id
      const api = httpClient(server.url, registered.body.apiKey)
      expect((await httpClient(server.url, 'aisle_wrong')('GET', '/webshops/')).status).toBe(401)

      // Before any event or model: popular items (none yet), not an error.
      const cold = await api('GET', '/recommend/u1/')
      expect(cold.status).toBe(200)
      expect(cold.body).toEqual({ userId: 'u1', items: [], algorithm: 'popular', modelVersion: null })

      const events = shopEvents()
      const sent = await api('POST', '/events/', events)
      expect(sent.status).toBe(202)
      expect(sent.body).toEqual({ accepted: events.length })
      const single = await api('POST', '/events', { eventId: 'fixed-1', type: 'click', user: { id: 'u9' }, item: { id: 'a1' } })
      expect(single.status).toBe(202)
      expect((await api('POST', '/events', { eventId: 'fixed-1', type: 'click', user: { id: 'u9' }, item: { id: 'a1' } })).status).toBe(202)

      const stored = await waitFor(async () => {
        const r = await api('GET', '/webshops/')
        return r.body.totals.events === events.length + 1 ? r.body : null
      }, 30_000, 'every event to be stored')
      expect(stored.totals).toEqual({ users: 9, items: 8, events: events.length + 1 })
      const history = await api('GET', '/users/u1/events/?limit=3')
      expect(history.status).toBe(200)
      expect(history.body.events).toHaveLength(3)
      expect(history.body.events.every((e: { userId: string }) => e.userId === 'u1')).toBe(true)
      expect((await api('GET', '/users/u9/events')).body.events.map((e: { eventId: string }) => e.eventId)).toEqual(['fixed-1'])

      const job = await api('POST', '/train/')
      expect(job.status).toBe(202)
      expect(job.body.status).toBe('queued')
      const done = await waitFor(async () => {
        const r = await api('GET', `/train/${job.body.jobId}/`)
        return r.body.status === 'done' || r.body.status === 'failed' ? r.body : null
      }, 60_000, 'training to finish')
      expect(done.status).toBe('done')
      expect(done.modelVersion).toBe(1)

      for (const s of servers) {
        const rec = await httpClient(s.url, registered.body.apiKey)('GET', '/recommend/u1/?limit=2')
        expect(rec.status).toBe(200)
        expect(rec.body.algorithm).toBe('item_knn')
        expect(rec.body.modelVersion).toBe(1)
        // u1 saw a1 and a2; its cluster-mates also bought a3 and a4.
        expect(rec.body.items.map((i: { itemId: string }) => i.itemId).sort()).toEqual(['a3', 'a4'])
        expect(rec.body.items[0].score).toBeGreaterThan(0)
      }
      const withSeen = await api('GET', '/recommend/u1?limit=8&includeSeen=true')
      expect(withSeen.body.items.map((i: { itemId: string }) => i.itemId)).toContain('a1')
      const ids = (r: { body: { items: { itemId: string }[] } }) => r.body.items.map((i) => i.itemId)
      // Only b* items carry category b: the filter keeps u1's answer inside it.
      const filtered = await api('GET', '/recommend/u1?limit=3&filter=category:b')
      expect(filtered.status).toBe(200)
      expect(ids(filtered).length).toBe(3)
      expect(ids(filtered).every((i) => i.startsWith('b'))).toBe(true)
      const similar = await api('GET', '/items/b1/similar/?limit=3')
      expect(similar.status).toBe(200)
      expect(ids(similar).sort()).toEqual(['b2', 'b3', 'b4'])
      const popular = await api('GET', '/popular?limit=2&filter=category:a')
      expect(popular.status).toBe(200)
      expect(ids(popular)).toEqual(['a1', 'a2']) // u9's click makes a1 the most frequent
      // The answer above may be kept by the server; u1 buying a3 and a4 must still change it at
      // once: they are seen now and leave u1's answer.
      expect((await api('POST', '/events', ['a3', 'a4'].map((item) => ({ type: 'purchase', user: { id: 'u1' }, item: { id: item } })))).status).toBe(202)
      await waitFor(async () => (await api('GET', '/users/u1/events')).body.events.length === 6, 30_000, "u1's new events to be stored")
      for (const s of servers) {
        const rec = await httpClient(s.url, registered.body.apiKey)('GET', '/recommend/u1/?limit=2')
        expect(rec.status).toBe(200)
        expect(ids(rec)).not.toContain('a3')
        expect(ids(rec)).not.toContain('a4')
      }
      const model = await api('GET', '/models/latest/')
      expect(model.status).toBe(200)
      expect(model.body).toMatchObject({ version: 1, algorithm: 'item_knn', metrics: { users: 9, items: 8 } })
      expect(model.body.metrics.selection.chosen).toBe('item_knn')
      expect(done.progress).toBe('done: item_knn')

      if (mode.servers > 1) {
        // A second training: every server process answers with the new version once the job is done.
        const second = await api('POST', '/train')
        await waitFor(async () => (await api('GET', `/train/${second.body.jobId}`)).body.status === 'done', 60_000, 'the second training')
        for (const s of servers) {
          const version = await waitFor(async () => {
            const r = await httpClient(s.url, registered.body.apiKey)('GET', '/recommend/u1')
            return r.body.modelVersion === 2 ? 2 : null
          }, 2_000, `${s.url} to serve version 2`)
          expect(version).toBe(2)
        }
      }

      expect((await api('DELETE', '/webshops/')).status).toBe(204)
      expect((await api('GET', '/webshops/')).status).toBe(401)
      const store = await mode.openStore(env)
      try {
        expect(await store.findWebshopById(webshopId)).toBeNull()
        expect(await store.totals(webshopId)).toEqual({ users: 0, items: 0, events: 0 })
        expect(await store.latestModel(webshopId)).toBeNull()
      } finally {
        await store.close()
      }
    }
  })
}
