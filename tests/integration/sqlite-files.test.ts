// The settings every embedded SQLite file is opened with: the durability that "202 means durable"
// rests on, and the store's larger page cache (core/sqlite.ts says why).
import { afterAll, expect, test } from 'bun:test'
import { openSqlite, QUEUE_FILE, STORE_FILE } from '../../core/sqlite'
import { tempDir } from '../helpers/adapters'

const tmp = tempDir('aisle-files-')
afterAll(() => tmp.remove())

const pragma = (db: ReturnType<typeof openSqlite>, name: string) => Object.values(db.query(`PRAGMA ${name}`).get() as object)[0]

test('both files are WAL with a sync on every commit; the store has a 16 MB page cache, the queue the default', () => {
  const store = openSqlite(tmp.dir, STORE_FILE)
  const queue = openSqlite(tmp.dir, QUEUE_FILE)
  for (const db of [store, queue]) {
    expect(pragma(db, 'journal_mode')).toBe('wal')
    expect(pragma(db, 'synchronous')).toBe(2) // FULL
  }
  expect(pragma(store, 'cache_size')).toBe(-16384)
  expect(pragma(queue, 'cache_size')).toBe(-2000)
  store.close()
  queue.close()
})
