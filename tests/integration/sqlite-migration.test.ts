// A store file written by version 1 of the SQLite schema (every row keyed by the webshop's UUID)
// opens with the current code: migrated in place, nothing lost, and writable afterwards.
import { afterAll, expect, test } from 'bun:test'
import { openSqlite, STORE_FILE } from '../../core/sqlite'
import { SqliteStore } from '../../core/store/sqlite'
import { tempDir } from '../helpers/adapters'
import { at, batch } from '../helpers/fixtures'

const tmp = tempDir('aisle-migration-')
afterAll(() => tmp.remove())

// The schema as version 1 created it (core/store/sqlite.ts before December 2026).
const VERSION_1 = `
CREATE TABLE IF NOT EXISTS webshops (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  api_key_hash TEXT NOT NULL UNIQUE,
  api_key_prefix TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  webshop_id TEXT NOT NULL, external_id TEXT NOT NULL, attributes TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (webshop_id, external_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS items (
  webshop_id TEXT NOT NULL, external_id TEXT NOT NULL, attributes TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (webshop_id, external_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  webshop_id TEXT NOT NULL, event_id TEXT NOT NULL, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
  type TEXT NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL,
  PRIMARY KEY (webshop_id, event_id)
);
-- Covers the recommend path's history read (no table lookups).
CREATE INDEX IF NOT EXISTS events_user_history ON events (webshop_id, user_id, ts DESC, item_id, type);
CREATE INDEX IF NOT EXISTS events_time ON events (webshop_id, ts DESC);
CREATE TABLE IF NOT EXISTS models (
  webshop_id TEXT NOT NULL, version INTEGER NOT NULL, algorithm TEXT NOT NULL, trained_at INTEGER NOT NULL,
  params TEXT NOT NULL, metrics TEXT NOT NULL, artifact BLOB NOT NULL,
  PRIMARY KEY (webshop_id, version)
);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, webshop_id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
  started_at INTEGER, finished_at INTEGER, model_version INTEGER, error TEXT, progress TEXT
);
CREATE INDEX IF NOT EXISTS jobs_webshop ON jobs (webshop_id, created_at DESC);
`

test('a version-1 store file is migrated with every row, and keeps working', async () => {
  const old = openSqlite(tmp.dir, STORE_FILE)
  old.exec(VERSION_1)
  const shops = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222']
  shops.forEach((id, n) =>
    old
      .query(`INSERT INTO webshops VALUES (?1, ?2, 'Shop', 'hash', ?3, 'aisle_x', '{"eventWeights":{"view":1,"purchase":8}}', ?4, ?4)`)
      .run(id, `shop${n}@example.com`, `key-hash-${n}`, at(n).getTime()),
  )
  old.query(`INSERT INTO users VALUES (?1, 'u1', '{"country":"NL"}', 1, 2)`).run(shops[0]!)
  old.query(`INSERT INTO items VALUES (?1, 'i1', '{"category":"mugs"}', 1, 2)`).run(shops[0]!)
  for (const [n, [shop, user, item, minute]] of ([[0, 'u1', 'i1', 1], [0, 'u1', 'i2', 2], [1, 'u1', 'i9', 3]] as const).entries()) {
    old.query(`INSERT INTO events VALUES (?1, ?2, ?3, ?4, 'view', ?5, ?5)`).run(shops[shop]!, `e${n}`, user, item, at(minute).getTime())
  }
  old.query(`INSERT INTO models VALUES (?1, 1, 'ease', 5, '{}', '{"users":1}', ?2)`).run(shops[0]!, new Uint8Array([1, 2, 3]))
  old.query(`INSERT INTO jobs VALUES ('job-1', ?1, 'done', 5, 6, 7, 1, NULL, 'done: ease')`).run(shops[0]!)
  old.close()

  const db = openSqlite(tmp.dir, STORE_FILE)
  const store = new SqliteStore(db)
  await store.init()
  expect(db.query<{ v: number }, []>('SELECT user_version AS v FROM pragma_user_version').get()!.v).toBe(2)
  const [a, b] = shops as [string, string]
  expect((await store.findWebshopByKeyHash('key-hash-0'))?.id).toBe(a)
  expect(await store.totals(a)).toEqual({ users: 1, items: 1, events: 2 })
  expect(await store.totals(b)).toEqual({ users: 0, items: 0, events: 1 })
  expect((await store.userHistory(a, 'u1', 10)).map((e) => e.itemId)).toEqual(['i2', 'i1'])
  expect((await store.userHistory(b, 'u1', 10)).map((e) => e.itemId)).toEqual(['i9'])
  expect((await store.findEntity('items', a, 'i1'))?.attributes).toEqual({ category: 'mugs' })
  expect(await store.latestModel(a)).toMatchObject({ webshopId: a, version: 1, algorithm: 'ease', metrics: { users: 1 }, artifact: new Uint8Array([1, 2, 3]) })
  expect(await store.getJob(a, 'job-1')).toMatchObject({ webshopId: a, status: 'done', modelVersion: 1, progress: 'done: ease' })
  expect(await store.getJob(b, 'job-1')).toBeNull()

  // Writable afterwards, and a second start leaves it as it is.
  expect(await store.writeBatch(batch(a, [['e0', 'u1', 'i1', 'view', 1], ['e9', 'u2', 'i3', 'view', 9]]))).toBe(1)
  await new SqliteStore(db).init()
  expect(await store.totals(a)).toEqual({ users: 2, items: 2, events: 3 })
  expect(await store.deleteWebshop(a)).toBe(true)
  expect(await store.totals(b)).toEqual({ users: 0, items: 0, events: 1 })
  db.close()
})
