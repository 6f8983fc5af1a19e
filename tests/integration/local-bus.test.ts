// The embedded queue's own promises, beyond the Bus contract: publishes are heard at once by a
// consumer on another connection to the file (the worker thread of `bun run dev`), and messages a
// previous version left in the store's file are moved into the queue's file, not lost.
import { afterAll, expect, test } from 'bun:test'
import { encodeJson, decodeJson, type Outcome } from '../../core/bus/bus'
import { LocalBus } from '../../core/bus/local'
import { openSqlite, QUEUE_FILE, STORE_FILE } from '../../core/sqlite'
import { tempDir } from '../helpers/adapters'
import { waitFor } from '../helpers/services'

const tmp = tempDir('aisle-local-bus-')
afterAll(() => tmp.remove())

test('a consumer on another connection hears a publish at once, without waiting for its poll', async () => {
  const publisherDb = openSqlite(tmp.dir, QUEUE_FILE)
  const consumerDb = openSqlite(tmp.dir, QUEUE_FILE)
  const publisher = new LocalBus(publisherDb)
  const consumer = new LocalBus(consumerDb, { pollMs: 60_000 })
  await publisher.init()
  await consumer.init()
  const seen: unknown[] = []
  const sub = await consumer.consume('events', async (batch) => {
    seen.push(...batch.map((m) => decodeJson(m.body)))
    return batch.map((): Outcome => 'ack')
  }, { batchSize: 10, prefetch: 10, lingerMs: 0 })
  await Bun.sleep(100) // the consumer found the queue empty and sleeps for a minute
  const started = performance.now()
  await publisher.publish('events', encodeJson({ n: 1 }))
  await waitFor(async () => seen.length === 1, 5_000, 'the message on the other connection')
  expect(performance.now() - started).toBeLessThan(5_000)
  expect(seen).toEqual([{ n: 1 }])
  await sub.stop()
  await publisher.close()
  await consumer.close()
  publisherDb.close()
  consumerDb.close()
})

test('messages left in the store file by an earlier version move into the queue file', async () => {
  const dir = tempDir('aisle-legacy-')
  try {
    const storeDb = openSqlite(dir.dir, STORE_FILE)
    // The queue table as earlier versions kept it, inside the store's file.
    storeDb.run(`CREATE TABLE queue_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body BLOB NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, lease_until INTEGER NOT NULL DEFAULT 0, lease_pid INTEGER, enqueued_at INTEGER NOT NULL)`)
    for (const n of [1, 2, 3]) storeDb.query('INSERT INTO queue_messages (queue, body, enqueued_at) VALUES (?1, ?2, 0)').run(n === 3 ? 'train' : 'events', encodeJson({ n }))
    const queueDb = openSqlite(dir.dir, QUEUE_FILE)
    const bus = new LocalBus(queueDb, { pollMs: 20 })
    await bus.init()
    expect(bus.adoptMessagesFrom(storeDb)).toBe(3)
    expect(bus.adoptMessagesFrom(storeDb)).toBe(0) // the old table is gone
    expect(await bus.stats('events')).toEqual({ ready: 2, dead: 0 })
    const seen: unknown[] = []
    const sub = await bus.consume('events', async (batch) => {
      seen.push(...batch.map((m) => decodeJson(m.body)))
      return batch.map((): Outcome => 'ack')
    }, { batchSize: 10, prefetch: 10, lingerMs: 0 })
    await waitFor(async () => seen.length === 2, 5_000, 'the adopted messages')
    await sub.stop()
    expect(seen).toEqual([{ n: 1 }, { n: 2 }])
    expect((await bus.stats('train')).ready).toBe(1)
    await bus.close()
    queueDb.close()
    storeDb.close()
  } finally {
    dir.remove()
  }
})

test('if the commit thread dies, each publish in flight is either durable or refused (503), and publishing goes on', async () => {
  const db = openSqlite(tmp.dir, 'queue-crash.sqlite')
  const bus = new LocalBus(db)
  await bus.init()
  await bus.publish('events', encodeJson({ n: -1 })) // starts the commit thread
  const outcomes: Promise<{ n: number; ok: boolean; name?: string }>[] = []
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 20; i++) {
      const n = round * 20 + i
      outcomes.push(bus.publish('events', encodeJson({ n })).then(() => ({ n, ok: true }), (err: Error) => ({ n, ok: false, name: err.name })))
    }
    if (round < 9) await Bun.sleep(1)
  }
  // The thread goes away with the last round in flight (as if it crashed).
  ;(bus as unknown as { committer: Worker }).committer.terminate()
  const results = await Promise.all(outcomes)
  expect(results.some((r) => !r.ok)).toBe(true)
  const stored = new Set(
    db.query<{ body: Uint8Array }, []>("SELECT body FROM queue_messages WHERE queue = 'events'").all().map((r) => (decodeJson(r.body) as { n: number }).n),
  )
  for (const r of results) {
    if (r.ok) expect(stored.has(r.n)).toBe(true) // a resolved publish is in the file
    else expect(r.name).toBe('UnavailableError')
  }
  // A new thread takes the next publishes.
  await bus.publish('events', encodeJson({ n: 1000 }))
  expect((await bus.stats('events')).ready).toBeGreaterThanOrEqual(2)
  await bus.close()
  db.close()
})
