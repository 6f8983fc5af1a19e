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

export function openSqlite(dataDir: string, fileName: string): Database {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, fileName), { create: true, strict: true })
  db.run('PRAGMA journal_mode = WAL')
  db.run('PRAGMA synchronous = FULL')
  db.run('PRAGMA foreign_keys = ON')
  // Several threads and processes share the file; wait for a writer rather than fail.
  db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
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
