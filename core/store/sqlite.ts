// Embedded adapter on bun:sqlite. The tables mirror the MongoDB collections; attributes are JSON
// text merged with json_patch (values are never null or objects, so that equals MongoDB's per-key $set).
import type { Database } from 'bun:sqlite'
import { BUSY_TIMEOUT_MS } from '../sqlite'
import type { Totals, WebshopSettings } from '../schemas'
import {
  DuplicateEmailError,
  MODELS_KEPT,
  type EntityKind,
  type EntityRecord,
  type EntityUpsert,
  type EventRecord,
  type HistoryEvent,
  type IngestBatch,
  type InteractionPage,
  type JobPatch,
  type JobRecord,
  type ModelRecord,
  type Store,
  type WebshopPatch,
  type WebshopRecord,
} from './store'

/**
 * Schema version 2. Every data row carries its webshop's integer `shop_key` rather than the
 * webshop's UUID: the keys of the event indexes shrink by a third and compare faster, which made
 * the worker's event inserts 1.5× faster (bench/README). AUTOINCREMENT: a deleted shop's key is
 * never given to another.
 */
const SCHEMA_VERSION = 2
const SCHEMA = `
CREATE TABLE IF NOT EXISTS webshops (
  shop_key INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
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
  shop_key INTEGER NOT NULL, external_id TEXT NOT NULL, attributes TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (shop_key, external_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS items (
  shop_key INTEGER NOT NULL, external_id TEXT NOT NULL, attributes TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (shop_key, external_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  shop_key INTEGER NOT NULL, event_id TEXT NOT NULL, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
  type TEXT NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL,
  PRIMARY KEY (shop_key, event_id)
);
-- Covers the recommend path's history read (no table lookups).
CREATE INDEX IF NOT EXISTS events_user_history ON events (shop_key, user_id, ts DESC, item_id, type);
CREATE INDEX IF NOT EXISTS events_time ON events (shop_key, ts DESC);
CREATE TABLE IF NOT EXISTS models (
  shop_key INTEGER NOT NULL, version INTEGER NOT NULL, algorithm TEXT NOT NULL, trained_at INTEGER NOT NULL,
  params TEXT NOT NULL, metrics TEXT NOT NULL, artifact BLOB NOT NULL,
  PRIMARY KEY (shop_key, version)
);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, shop_key INTEGER NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
  started_at INTEGER, finished_at INTEGER, model_version INTEGER, error TEXT, progress TEXT
);
CREATE INDEX IF NOT EXISTS jobs_webshop ON jobs (shop_key, created_at DESC);
`

/**
 * Version 1 (until December 2026) keyed every data row by the webshop's UUID in `webshop_id`.
 * One transaction renames its tables aside, creates version 2 and copies every row across.
 */
function migrateFromVersion1(db: Database): void {
  const tables = ['webshops', 'users', 'items', 'events', 'models', 'jobs'] as const
  db.transaction(() => {
    // Checked under the write lock: a process that started alongside may have migrated already.
    const isVersion1 = db.query<{ n: number }, []>("SELECT count(*) AS n FROM pragma_table_info('events') WHERE name = 'webshop_id'").get()!.n > 0
    if (!isVersion1) return
    for (const t of tables) db.run(`ALTER TABLE ${t} RENAME TO ${t}_v1`)
    for (const index of ['events_user_history', 'events_time', 'jobs_webshop']) db.run(`DROP INDEX IF EXISTS ${index}`)
    db.exec(SCHEMA)
    db.run(`INSERT INTO webshops (id, email, name, password_hash, api_key_hash, api_key_prefix, settings, created_at, updated_at)
            SELECT id, email, name, password_hash, api_key_hash, api_key_prefix, settings, created_at, updated_at FROM webshops_v1 ORDER BY created_at`)
    const join = (t: string, columns: string) =>
      db.run(`INSERT INTO ${t} (shop_key, ${columns}) SELECT w.shop_key, ${columns.split(', ').map((c) => `o.${c}`).join(', ')}
              FROM ${t}_v1 o JOIN webshops w ON w.id = o.webshop_id`)
    join('users', 'external_id, attributes, created_at, updated_at')
    join('items', 'external_id, attributes, created_at, updated_at')
    join('events', 'event_id, user_id, item_id, type, ts, received_at')
    join('models', 'version, algorithm, trained_at, params, metrics, artifact')
    db.run(`INSERT INTO jobs (id, shop_key, status, created_at, started_at, finished_at, model_version, error, progress)
            SELECT o.id, w.shop_key, o.status, o.created_at, o.started_at, o.finished_at, o.model_version, o.error, o.progress
            FROM jobs_v1 o JOIN webshops w ON w.id = o.webshop_id`)
    for (const t of tables) db.run(`DROP TABLE ${t}_v1`)
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}

interface WebshopRow {
  id: string
  email: string
  name: string
  password_hash: string
  api_key_hash: string
  api_key_prefix: string
  settings: string
  created_at: number
  updated_at: number
}
interface EventRow {
  event_id: string
  user_id: string
  item_id: string
  type: string
  ts: number
  received_at: number
}
interface ModelRow {
  version: number
  algorithm: string
  trained_at: number
  params: string
  metrics: string
  artifact: Uint8Array
}
interface JobRow {
  id: string
  status: JobRecord['status']
  created_at: number
  started_at: number | null
  finished_at: number | null
  model_version: number | null
  error: string | null
  progress: string | null
}

const DATA_TABLES = ['users', 'items', 'events', 'models', 'jobs'] as const
/** How long a write waits for the file's write lock before it fails (as unavailable, 503). */
const WRITE_LOCK_WAIT_MS = 10_000

export class SqliteStore implements Store {
  /** Webshop id → shop_key, for reads; a webshop's key never changes. */
  private readonly keys = new Map<string, number>()

  constructor(private readonly db: Database) {}

  async init(): Promise<void> {
    const hasEvents = this.db.query<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'events'").get()!.n > 0
    if (hasEvents && this.db.query<{ v: number }, []>('SELECT user_version AS v FROM pragma_user_version').get()!.v < SCHEMA_VERSION) {
      migrateFromVersion1(this.db)
    }
    this.db.exec(SCHEMA)
    this.db.run(`PRAGMA user_version = ${SCHEMA_VERSION}`)
  }

  /** The webshop's key for a read; null for a webshop that does not exist. */
  private keyOf(webshopId: string): number | null {
    const cached = this.keys.get(webshopId)
    if (cached !== undefined) return cached
    const key = this.currentKeyOf(webshopId)
    if (key !== null) this.keys.set(webshopId, key)
    return key
  }

  /** The key as the file has it now: writes ask inside their transaction, so a deleted shop gets none. */
  private currentKeyOf(webshopId: string): number | null {
    return this.db.query<{ k: number }, [string]>('SELECT shop_key AS k FROM webshops WHERE id = ?1').get(webshopId)?.k ?? null
  }

  /**
   * Runs a write (one statement, or an IMMEDIATE transaction: either fails before changing
   * anything when the lock is taken). While another connection holds the file's write lock (the
   * worker's bulk write, up to WORKER_BATCH_BYTES of events), it waits by sleeping on the event
   * loop, not in SQLite's busy handler, which would stall every request of this thread.
   */
  private async write<T>(fn: () => T): Promise<T> {
    for (let pause = 1, waited = 0; ; waited += pause, pause = Math.min(pause * 2, 20)) {
      this.db.run('PRAGMA busy_timeout = 0')
      try {
        return fn()
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || waited >= WRITE_LOCK_WAIT_MS) throw err
      } finally {
        this.db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
      }
      await Bun.sleep(pause)
    }
  }

  private requireKey(webshopId: string): number {
    const key = this.currentKeyOf(webshopId)
    if (key === null) throw new Error(`no webshop ${webshopId}`)
    return key
  }

  async close(): Promise<void> {
    // The database handle is shared with the embedded bus; its owner closes it.
  }

  isTransientError(err: unknown): boolean {
    const code = (err as { code?: unknown } | null)?.code
    return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL)/.test(code)
  }

  async createWebshop(w: WebshopRecord): Promise<void> {
    await this.write(() => this.insertWebshop(w))
  }

  private insertWebshop(w: WebshopRecord): void {
    try {
      this.db
        .query(
          `INSERT INTO webshops (id, email, name, password_hash, api_key_hash, api_key_prefix, settings, created_at, updated_at)
           VALUES (:id, :email, :name, :passwordHash, :apiKeyHash, :apiKeyPrefix, :settings, :createdAt, :updatedAt)`,
        )
        .run({
          id: w.id,
          email: w.email,
          name: w.name,
          passwordHash: w.passwordHash,
          apiKeyHash: w.apiKeyHash,
          apiKeyPrefix: w.apiKeyPrefix,
          settings: JSON.stringify(w.settings),
          createdAt: w.createdAt.getTime(),
          updatedAt: w.updatedAt.getTime(),
        })
    } catch (err) {
      throw translateDuplicateEmail(err)
    }
  }

  async findWebshopById(id: string): Promise<WebshopRecord | null> {
    return toWebshop(this.db.query<WebshopRow, { id: string }>('SELECT * FROM webshops WHERE id = :id').get({ id }))
  }

  async findWebshopByKeyHash(apiKeyHash: string): Promise<WebshopRecord | null> {
    return toWebshop(
      this.db.query<WebshopRow, { h: string }>('SELECT * FROM webshops WHERE api_key_hash = :h').get({ h: apiKeyHash }),
    )
  }

  async updateWebshop(id: string, patch: WebshopPatch, updatedAt: Date): Promise<WebshopRecord | null> {
    const row = this.db.query<WebshopRow, { id: string }>('SELECT * FROM webshops WHERE id = :id').get({ id })
    if (!row) return null
    await this.write(() => {
      try {
        this.db
          .query(
            `UPDATE webshops SET email = :email, name = :name, password_hash = :passwordHash, settings = :settings,
             updated_at = :updatedAt WHERE id = :id`,
          )
          .run({
            id,
            email: patch.email ?? row.email,
            name: patch.name ?? row.name,
            passwordHash: patch.passwordHash ?? row.password_hash,
            settings: patch.settings ? JSON.stringify(patch.settings) : row.settings,
            updatedAt: updatedAt.getTime(),
          })
      } catch (err) {
        throw translateDuplicateEmail(err)
      }
    })
    return this.findWebshopById(id)
  }

  async deleteWebshop(id: string): Promise<boolean> {
    this.keys.delete(id)
    const transaction = this.db.transaction(() => {
      const key = this.currentKeyOf(id)
      if (key === null) return false
      for (const table of DATA_TABLES) this.db.query(`DELETE FROM ${table} WHERE shop_key = ?1`).run(key)
      this.db.query('DELETE FROM webshops WHERE shop_key = ?1').run(key)
      return true
    })
    return this.write(() => transaction.immediate())
  }

  async existingWebshopIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const rows = this.db
      .query<{ id: string }, { ids: string }>('SELECT id FROM webshops WHERE id IN (SELECT value FROM json_each(:ids))')
      .all({ ids: JSON.stringify(ids) })
    return new Set(rows.map((r) => r.id))
  }

  async totals(webshopId: string): Promise<Totals> {
    const key = this.keyOf(webshopId)
    const count = (table: string) =>
      key === null ? 0 : this.db.query<{ n: number }, [number]>(`SELECT count(*) AS n FROM ${table} WHERE shop_key = ?1`).get(key)!.n
    return { users: count('users'), items: count('items'), events: count('events') }
  }

  async writeBatch(batch: IngestBatch): Promise<number> {
    return this.write(() => this.writeBatchSync(batch))
  }

  private readonly writeBatchSync = (batch: IngestBatch): number =>
    this.db.transaction(() => {
      // Asked inside the transaction: events of a webshop deleted meanwhile are dropped, never
      // left behind under its key.
      const key = this.currentKeyOf(batch.webshopId)
      if (key === null) return 0
      this.upsertEntities('users', key, batch.users)
      this.upsertEntities('items', key, batch.items)
      // Positional parameters: the hottest statement of the worker, bound once per event.
      const insert = this.db.query(
        `INSERT INTO events (shop_key, event_id, user_id, item_id, type, ts, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING`,
      )
      let inserted = 0
      for (const e of batch.events) {
        inserted += insert.run(key, e.eventId, e.userId, e.itemId, e.type, e.timestamp.getTime(), e.receivedAt.getTime()).changes
      }
      return inserted
    }).immediate()

  private upsertEntities(table: 'users' | 'items', key: number, entities: EntityUpsert[]): void {
    const upsert = this.db.query(
      `INSERT INTO ${table} (shop_key, external_id, attributes, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?4)
       ON CONFLICT (shop_key, external_id) DO UPDATE SET
         attributes = json_patch(attributes, excluded.attributes), updated_at = excluded.updated_at`,
    )
    for (const e of entities) upsert.run(key, e.externalId, JSON.stringify(e.attributes), e.seenAt.getTime())
  }

  async findEntity(kind: EntityKind, webshopId: string, externalId: string): Promise<EntityRecord | null> {
    const table = kind === 'users' ? 'users' : 'items'
    const key = this.keyOf(webshopId)
    if (key === null) return null
    const row = this.db
      .query<{ attributes: string; created_at: number; updated_at: number }, { w: number; id: string }>(
        `SELECT attributes, created_at, updated_at FROM ${table} WHERE shop_key = :w AND external_id = :id`,
      )
      .get({ w: key, id: externalId })
    if (!row) return null
    return { externalId, attributes: JSON.parse(row.attributes), createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) }
  }

  async itemsMatching(webshopId: string, itemIds: string[], filter: Record<string, string>): Promise<Set<string>> {
    const key = this.keyOf(webshopId)
    if (itemIds.length === 0 || key === null) return new Set()
    // Keys are validated attribute names (no `$`, `.` or quotes reach here), bound as JSON paths.
    const clauses = Object.keys(filter).map((_, n) => `AND CAST(json_extract(attributes, :path${n}) AS TEXT) IN (:raw${n}, :value${n})`)
    const params: Record<string, string | number> = { w: key, ids: JSON.stringify(itemIds) }
    Object.entries(filter).forEach(([key, value], n) => {
      params[`path${n}`] = `$."${key}"`
      params[`raw${n}`] = value
      params[`value${n}`] = value === 'true' ? '1' : value === 'false' ? '0' : value.trim() !== '' && Number.isFinite(Number(value)) ? String(Number(value)) : value
    })
    const rows = this.db
      .query<{ external_id: string }, Record<string, string | number>>(
        `SELECT external_id FROM items WHERE shop_key = :w AND external_id IN (SELECT value FROM json_each(:ids)) ${clauses.join(' ')}`,
      )
      .all(params)
    return new Set(rows.map((r) => r.external_id))
  }

  async userEvents(webshopId: string, userId: string, limit: number): Promise<EventRecord[]> {
    const key = this.keyOf(webshopId)
    if (key === null) return []
    return this.db
      .query<EventRow, { w: number; u: string; limit: number }>(
        `SELECT event_id, user_id, item_id, type, ts, received_at FROM events
         WHERE shop_key = :w AND user_id = :u ORDER BY ts DESC, event_id DESC LIMIT :limit`,
      )
      .all({ w: key, u: userId, limit })
      .map(toEvent)
  }

  async userEventCount(webshopId: string, userId: string): Promise<number> {
    const key = this.keyOf(webshopId)
    if (key === null) return 0
    // Counted on the covering history index: no row is read.
    return this.db.query<{ n: number }, [number, string]>('SELECT count(*) AS n FROM events WHERE shop_key = ?1 AND user_id = ?2').get(key, userId)!.n
  }

  async userHistory(webshopId: string, userId: string, limit: number): Promise<HistoryEvent[]> {
    const key = this.keyOf(webshopId)
    if (key === null) return []
    return this.db
      .query<{ item_id: string; type: string; ts: number }, { w: number; u: string; limit: number }>(
        'SELECT item_id, type, ts FROM events WHERE shop_key = :w AND user_id = :u ORDER BY ts DESC LIMIT :limit',
      )
      .all({ w: key, u: userId, limit })
      .map((r) => ({ itemId: r.item_id, type: r.type, timestamp: new Date(r.ts) }))
  }

  async *interactions(webshopId: string, pageSize: number): AsyncIterable<InteractionPage> {
    // Keyset pagination on the primary key: each page is one short read, no long-lived cursor.
    const key = this.keyOf(webshopId)
    if (key === null) return
    let after = ''
    const page = this.db.query<{ event_id: string; user_id: string; item_id: string; type: string; ts: number }, { w: number; after: string; n: number }>(
      `SELECT event_id, user_id, item_id, type, ts FROM events
       WHERE shop_key = :w AND event_id > :after ORDER BY event_id LIMIT :n`,
    )
    for (;;) {
      const rows = page.all({ w: key, after, n: pageSize })
      if (rows.length === 0) return
      yield rows.map((r) => ({ userId: r.user_id, itemId: r.item_id, type: r.type, timestamp: new Date(r.ts) }))
      after = rows[rows.length - 1]!.event_id
    }
  }

  async popularItems(webshopId: string, since: Date, limit: number): Promise<{ itemId: string; count: number }[]> {
    const key = this.keyOf(webshopId)
    if (key === null) return []
    return this.db
      .query<{ itemId: string; count: number }, { w: number; since: number; limit: number }>(
        `SELECT item_id AS itemId, count(*) AS count FROM events WHERE shop_key = :w AND ts >= :since
         GROUP BY item_id ORDER BY count DESC, item_id LIMIT :limit`,
      )
      .all({ w: key, since: since.getTime(), limit })
  }

  async saveModel(model: Omit<ModelRecord, 'version'>): Promise<number> {
    const transaction = this.db.transaction(() => {
      const key = this.requireKey(model.webshopId)
      const version = (this.latestVersionOfKey(key) ?? 0) + 1
      this.db
        .query(
          `INSERT INTO models (shop_key, version, algorithm, trained_at, params, metrics, artifact)
           VALUES (:w, :version, :algorithm, :trainedAt, :params, :metrics, :artifact)`,
        )
        .run({
          w: key,
          version,
          algorithm: model.algorithm,
          trainedAt: model.trainedAt.getTime(),
          params: JSON.stringify(model.params),
          metrics: JSON.stringify(model.metrics),
          artifact: model.artifact,
        })
      this.db.query('DELETE FROM models WHERE shop_key = :w AND version <= :old').run({ w: key, old: version - MODELS_KEPT })
      return version
    })
    return this.write(() => transaction.immediate())
  }

  async latestModel(webshopId: string): Promise<ModelRecord | null> {
    const key = this.keyOf(webshopId)
    if (key === null) return null
    const row = this.db
      .query<ModelRow, { w: number }>('SELECT * FROM models WHERE shop_key = :w ORDER BY version DESC LIMIT 1')
      .get({ w: key })
    if (!row) return null
    return {
      webshopId,
      version: row.version,
      algorithm: row.algorithm,
      trainedAt: new Date(row.trained_at),
      params: JSON.parse(row.params),
      metrics: JSON.parse(row.metrics),
      artifact: new Uint8Array(row.artifact),
    }
  }

  async latestModelVersion(webshopId: string): Promise<number | null> {
    const key = this.keyOf(webshopId)
    return key === null ? null : this.latestVersionOfKey(key)
  }

  private latestVersionOfKey(key: number): number | null {
    return this.db.query<{ v: number | null }, [number]>('SELECT max(version) AS v FROM models WHERE shop_key = ?1').get(key)?.v ?? null
  }

  async createJob(job: JobRecord): Promise<void> {
    await this.write(() => this.db
      .query(
        `INSERT INTO jobs (id, shop_key, status, created_at, started_at, finished_at, model_version, error)
         VALUES (:id, :w, :status, :createdAt, :startedAt, :finishedAt, :modelVersion, :error)`,
      )
      .run({
        id: job.id,
        w: this.requireKey(job.webshopId),
        status: job.status,
        createdAt: job.createdAt.getTime(),
        startedAt: job.startedAt?.getTime() ?? null,
        finishedAt: job.finishedAt?.getTime() ?? null,
        modelVersion: job.modelVersion ?? null,
        error: job.error ?? null,
      }))
  }

  async getJob(webshopId: string, jobId: string): Promise<JobRecord | null> {
    const key = this.keyOf(webshopId)
    if (key === null) return null
    const row = this.db.query<JobRow, { id: string; w: number }>('SELECT * FROM jobs WHERE id = :id AND shop_key = :w').get({ id: jobId, w: key })
    if (!row) return null
    const job: JobRecord = { id: row.id, webshopId, status: row.status, createdAt: new Date(row.created_at) }
    if (row.started_at !== null) job.startedAt = new Date(row.started_at)
    if (row.finished_at !== null) job.finishedAt = new Date(row.finished_at)
    if (row.model_version !== null) job.modelVersion = row.model_version
    if (row.error !== null) job.error = row.error
    if (row.progress !== null) job.progress = row.progress
    return job
  }

  async updateJob(webshopId: string, jobId: string, patch: JobPatch): Promise<void> {
    const job = await this.getJob(webshopId, jobId)
    if (!job) return
    const next = { ...job, ...patch }
    await this.write(() => this.db
      .query(
        `UPDATE jobs SET status = :status, started_at = :startedAt, finished_at = :finishedAt,
         model_version = :modelVersion, error = :error, progress = :progress WHERE id = :id AND shop_key = :w`,
      )
      .run({
        id: jobId,
        w: this.keyOf(webshopId),
        status: next.status,
        startedAt: next.startedAt?.getTime() ?? null,
        finishedAt: next.finishedAt?.getTime() ?? null,
        modelVersion: next.modelVersion ?? null,
        error: next.error ?? null,
        progress: next.progress ?? null,
      }))
  }
}

function toWebshop(row: WebshopRow | null): WebshopRecord | null {
  if (!row) return null
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    apiKeyHash: row.api_key_hash,
    apiKeyPrefix: row.api_key_prefix,
    settings: JSON.parse(row.settings) as WebshopSettings,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

function toEvent(r: EventRow): EventRecord {
  return { eventId: r.event_id, userId: r.user_id, itemId: r.item_id, type: r.type, timestamp: new Date(r.ts), receivedAt: new Date(r.received_at) }
}

function translateDuplicateEmail(err: unknown): unknown {
  if (err instanceof Error && /UNIQUE constraint failed: webshops\.email/.test(err.message)) {
    return new DuplicateEmailError('email already registered')
  }
  return err
}
