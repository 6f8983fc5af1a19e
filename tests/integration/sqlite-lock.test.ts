// The embedded store shares its file between the API thread and the worker thread, and SQLite
// has one writer at a time. A write that finds the lock taken (the worker's bulk write) must wait
// without stalling the thread's other requests, then go through.
import { afterAll, expect, test } from 'bun:test'
import { openSqlite, STORE_FILE } from '../../core/sqlite'
import { SqliteStore } from '../../core/store/sqlite'
import { tempDir } from '../helpers/adapters'
import { webshopRecord } from '../helpers/fixtures'

const tmp = tempDir('aisle-lock-')
afterAll(() => tmp.remove())

test('a write waiting for another connection\'s write lock leaves the event loop free, then succeeds', async () => {
  const db = openSqlite(tmp.dir, STORE_FILE)
  const store = new SqliteStore(db)
  await store.init()
  const other = openSqlite(tmp.dir, STORE_FILE)
  other.run('BEGIN IMMEDIATE') // another connection holds the write lock, as the worker does
  const shop = webshopRecord()
  let done = false
  const writing = store.createWebshop(shop).then(() => (done = true))
  // Timers keep firing on time while the write waits: the thread is not blocked in SQLite.
  const ticks: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    await Bun.sleep(20)
    ticks.push(performance.now() - started)
  }
  expect(Math.max(...ticks)).toBeLessThan(200)
  expect(done).toBe(false)
  other.run('COMMIT')
  await writing
  expect((await store.findWebshopById(shop.id))?.email).toBe(shop.email)
  other.close()
  db.close()
})
