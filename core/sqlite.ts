// The SQLite files of the embedded mode: the store's and the queue's, side by side in DATA_DIR.
// WAL with synchronous=FULL: a commit is on disk before it returns, so "202 means durable" holds
// across power loss, not just process death.
import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

/** How long a statement waits inside SQLite for another connection's write lock. */
export const BUSY_TIMEOUT_MS = 5_000

export const STORE_FILE = 'aisle.sqlite'
export const QUEUE_FILE = 'queue.sqlite'

/**
 * The store's file grows with every event, and the worker inserts into the user-history index at
 * one place per user. SQLite's default page cache (2 MB) holds few of those places once a shop
 * has thousands of users, so inserts re-read index pages from the OS. 16 MB per connection
 * (filled only as pages are used): with 5,000 users sending single events to `bun run dev`, the
 * worker's CPU per stored event went from 17.9 to 15.6 µs; in isolation, an event insert at 1M
 * events in the file from 12.3 to 8.5 µs. A larger cache added nothing. The queue's file stays
 * small (its rows are deleted once stored) and keeps the default.
 */
const STORE_PRAGMAS = ['PRAGMA cache_size = -16384']

export function openSqlite(dataDir: string, fileName: string): Database {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, fileName), { create: true, strict: true })
  db.run('PRAGMA journal_mode = WAL')
  db.run('PRAGMA synchronous = FULL')
  db.run('PRAGMA foreign_keys = ON')
  // Several threads and processes share the file; wait for a writer rather than fail.
  db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
  if (fileName === STORE_FILE) for (const pragma of STORE_PRAGMAS) db.run(pragma)
  return db
}

/**
 * Runs `fn` with commits that are not fsynced. Only for bookkeeping whose loss in a power
 * failure causes nothing worse than a redelivery (queue leases and acks): in WAL mode such a
 * commit still lands before any later synchronous one, so the file never goes back in time past
 * a commit that was reported durable.
 */
export function withoutFsync<T>(db: Database, fn: () => T): T {
  db.query('PRAGMA synchronous = NORMAL').run()
  try {
    return fn()
  } finally {
    db.query('PRAGMA synchronous = FULL').run()
  }
}
