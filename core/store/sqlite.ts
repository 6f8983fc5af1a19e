// Embedded adapter on bun:sqlite. The tables mirror the MongoDB collections; attributes are JSON
// text merged with json_patch (values are never null or objects, so that equals MongoDB's per-key $set).
import type { Database } from 'bun:sqlite'
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

const SCHEMA = `
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
  webshop_id: string
  version: number
  algorithm: string
  trained_at: number
  params: string
  metrics: string
  artifact: Uint8Array
}
interface JobRow {
  id: string
  webshop_id: string
  status: JobRecord['status']
  created_at: number
  started_at: number | null
  finished_at: number | null
  model_version: number | null
  error: string | null
  progress: string | null
}

const DATA_TABLES = ['users', 'items', 'events', 'models', 'jobs'] as const

export class SqliteStore implements Store {
  constructor(private readonly db: Database) {}

  async init(): Promise<void> {
    this.db.exec(SCHEMA)
  }

  async close(): Promise<void> {
    // The database handle is shared with the embedded bus; its owner closes it.
  }

  isTransientError(err: unknown): boolean {
    const code = (err as { code?: unknown } | null)?.code
    return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL)/.test(code)
  }

  async createWebshop(w: WebshopRecord): Promise<void> {
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
    return this.findWebshopById(id)
  }

  async deleteWebshop(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      const { changes } = this.db.query('DELETE FROM webshops WHERE id = :id').run({ id })
      for (const table of DATA_TABLES) this.db.query(`DELETE FROM ${table} WHERE webshop_id = :id`).run({ id })
      return changes === 1
    })()
  }

  async existingWebshopIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const rows = this.db
      .query<{ id: string }, { ids: string }>('SELECT id FROM webshops WHERE id IN (SELECT value FROM json_each(:ids))')
      .all({ ids: JSON.stringify(ids) })
    return new Set(rows.map((r) => r.id))
  }

  async totals(webshopId: string): Promise<Totals> {
    const count = (table: string) =>
      this.db.query<{ n: number }, { id: string }>(`SELECT count(*) AS n FROM ${table} WHERE webshop_id = :id`).get({ id: webshopId })!.n
    return { users: count('users'), items: count('items'), events: count('events') }
  }

  async writeBatch(batch: IngestBatch): Promise<number> {
    return this.writeBatchSync(batch)
  }

  private readonly writeBatchSync = (batch: IngestBatch): number =>
    this.db.transaction(() => {
      const { webshopId } = batch
      this.upsertEntities('users', webshopId, batch.users)
      this.upsertEntities('items', webshopId, batch.items)
      // Positional parameters: the hottest statement of the worker, bound once per event.
      const insert = this.db.query(
        `INSERT INTO events (webshop_id, event_id, user_id, item_id, type, ts, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING`,
      )
      let inserted = 0
      for (const e of batch.events) {
        inserted += insert.run(webshopId, e.eventId, e.userId, e.itemId, e.type, e.timestamp.getTime(), e.receivedAt.getTime()).changes
      }
      return inserted
    })()

  private upsertEntities(table: 'users' | 'items', webshopId: string, entities: EntityUpsert[]): void {
    const upsert = this.db.query(
      `INSERT INTO ${table} (webshop_id, external_id, attributes, created_at, updated_at)
       VALUES (:webshopId, :externalId, :attributes, :seenAt, :seenAt)
       ON CONFLICT (webshop_id, external_id) DO UPDATE SET
         attributes = json_patch(attributes, excluded.attributes), updated_at = excluded.updated_at`,
    )
    for (const e of entities) {
      upsert.run({ webshopId, externalId: e.externalId, attributes: JSON.stringify(e.attributes), seenAt: e.seenAt.getTime() })
    }
  }

  async findEntity(kind: EntityKind, webshopId: string, externalId: string): Promise<EntityRecord | null> {
    const table = kind === 'users' ? 'users' : 'items'
    const row = this.db
      .query<{ attributes: string; created_at: number; updated_at: number }, { w: string; id: string }>(
        `SELECT attributes, created_at, updated_at FROM ${table} WHERE webshop_id = :w AND external_id = :id`,
      )
      .get({ w: webshopId, id: externalId })
    if (!row) return null
    return { externalId, attributes: JSON.parse(row.attributes), createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) }
  }

  async itemsMatching(webshopId: string, itemIds: string[], filter: Record<string, string>): Promise<Set<string>> {
    if (itemIds.length === 0) return new Set()
    // Keys are validated attribute names (no `$`, `.` or quotes reach here), bound as JSON paths.
    const clauses = Object.keys(filter).map((_, n) => `AND CAST(json_extract(attributes, :path${n}) AS TEXT) IN (:raw${n}, :value${n})`)
    const params: Record<string, string> = { w: webshopId, ids: JSON.stringify(itemIds) }
    Object.entries(filter).forEach(([key, value], n) => {
      params[`path${n}`] = `$."${key}"`
      params[`raw${n}`] = value
      params[`value${n}`] = value === 'true' ? '1' : value === 'false' ? '0' : value.trim() !== '' && Number.isFinite(Number(value)) ? String(Number(value)) : value
    })
    const rows = this.db
      .query<{ external_id: string }, Record<string, string>>(
        `SELECT external_id FROM items WHERE webshop_id = :w AND external_id IN (SELECT value FROM json_each(:ids)) ${clauses.join(' ')}`,
      )
      .all(params)
    return new Set(rows.map((r) => r.external_id))
  }

  async userEvents(webshopId: string, userId: string, limit: number): Promise<EventRecord[]> {
    return this.db
      .query<EventRow, { w: string; u: string; limit: number }>(
        `SELECT event_id, user_id, item_id, type, ts, received_at FROM events
         WHERE webshop_id = :w AND user_id = :u ORDER BY ts DESC, event_id DESC LIMIT :limit`,
      )
      .all({ w: webshopId, u: userId, limit })
      .map(toEvent)
  }

  async userEventCount(webshopId: string, userId: string): Promise<number> {
    // Counted on the covering history index: no row is read.
    return this.db.query<{ n: number }, [string, string]>('SELECT count(*) AS n FROM events WHERE webshop_id = ?1 AND user_id = ?2').get(webshopId, userId)!.n
  }

  async userHistory(webshopId: string, userId: string, limit: number): Promise<HistoryEvent[]> {
    return this.db
      .query<{ item_id: string; type: string; ts: number }, { w: string; u: string; limit: number }>(
        'SELECT item_id, type, ts FROM events WHERE webshop_id = :w AND user_id = :u ORDER BY ts DESC LIMIT :limit',
      )
      .all({ w: webshopId, u: userId, limit })
      .map((r) => ({ itemId: r.item_id, type: r.type, timestamp: new Date(r.ts) }))
  }

  async *interactions(webshopId: string, pageSize: number): AsyncIterable<InteractionPage> {
    // Keyset pagination on the primary key: each page is one short read, no long-lived cursor.
    let after = ''
    const page = this.db.query<{ event_id: string; user_id: string; item_id: string; type: string; ts: number }, { w: string; after: string; n: number }>(
      `SELECT event_id, user_id, item_id, type, ts FROM events
       WHERE webshop_id = :w AND event_id > :after ORDER BY event_id LIMIT :n`,
    )
    for (;;) {
      const rows = page.all({ w: webshopId, after, n: pageSize })
      if (rows.length === 0) return
      yield rows.map((r) => ({ userId: r.user_id, itemId: r.item_id, type: r.type, timestamp: new Date(r.ts) }))
      after = rows[rows.length - 1]!.event_id
    }
  }

  async popularItems(webshopId: string, since: Date, limit: number): Promise<{ itemId: string; count: number }[]> {
    return this.db
      .query<{ itemId: string; count: number }, { w: string; since: number; limit: number }>(
        `SELECT item_id AS itemId, count(*) AS count FROM events WHERE webshop_id = :w AND ts >= :since
         GROUP BY item_id ORDER BY count DESC, item_id LIMIT :limit`,
      )
      .all({ w: webshopId, since: since.getTime(), limit })
  }

  async saveModel(model: Omit<ModelRecord, 'version'>): Promise<number> {
    return this.db.transaction(() => {
      const version = (this.latestVersionSync(model.webshopId) ?? 0) + 1
      this.db
        .query(
          `INSERT INTO models (webshop_id, version, algorithm, trained_at, params, metrics, artifact)
           VALUES (:w, :version, :algorithm, :trainedAt, :params, :metrics, :artifact)`,
        )
        .run({
          w: model.webshopId,
          version,
          algorithm: model.algorithm,
          trainedAt: model.trainedAt.getTime(),
          params: JSON.stringify(model.params),
          metrics: JSON.stringify(model.metrics),
          artifact: model.artifact,
        })
      this.db.query('DELETE FROM models WHERE webshop_id = :w AND version <= :old').run({ w: model.webshopId, old: version - MODELS_KEPT })
      return version
    }).immediate()
  }

  async latestModel(webshopId: string): Promise<ModelRecord | null> {
    const row = this.db
      .query<ModelRow, { w: string }>('SELECT * FROM models WHERE webshop_id = :w ORDER BY version DESC LIMIT 1')
      .get({ w: webshopId })
    if (!row) return null
    return {
      webshopId: row.webshop_id,
      version: row.version,
      algorithm: row.algorithm,
      trainedAt: new Date(row.trained_at),
      params: JSON.parse(row.params),
      metrics: JSON.parse(row.metrics),
      artifact: new Uint8Array(row.artifact),
    }
  }

  async latestModelVersion(webshopId: string): Promise<number | null> {
    return this.latestVersionSync(webshopId)
  }

  private latestVersionSync(webshopId: string): number | null {
    return (
      this.db.query<{ v: number | null }, { w: string }>('SELECT max(version) AS v FROM models WHERE webshop_id = :w').get({ w: webshopId })?.v ??
      null
    )
  }

  async createJob(job: JobRecord): Promise<void> {
    this.db
      .query(
        `INSERT INTO jobs (id, webshop_id, status, created_at, started_at, finished_at, model_version, error)
         VALUES (:id, :w, :status, :createdAt, :startedAt, :finishedAt, :modelVersion, :error)`,
      )
      .run({
        id: job.id,
        w: job.webshopId,
        status: job.status,
        createdAt: job.createdAt.getTime(),
        startedAt: job.startedAt?.getTime() ?? null,
        finishedAt: job.finishedAt?.getTime() ?? null,
        modelVersion: job.modelVersion ?? null,
        error: job.error ?? null,
      })
  }

  async getJob(webshopId: string, jobId: string): Promise<JobRecord | null> {
    const row = this.db.query<JobRow, { id: string; w: string }>('SELECT * FROM jobs WHERE id = :id AND webshop_id = :w').get({ id: jobId, w: webshopId })
    if (!row) return null
    const job: JobRecord = { id: row.id, webshopId: row.webshop_id, status: row.status, createdAt: new Date(row.created_at) }
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
    this.db
      .query(
        `UPDATE jobs SET status = :status, started_at = :startedAt, finished_at = :finishedAt,
         model_version = :modelVersion, error = :error, progress = :progress WHERE id = :id AND webshop_id = :w`,
      )
      .run({
        id: jobId,
        w: webshopId,
        status: next.status,
        startedAt: next.startedAt?.getTime() ?? null,
        finishedAt: next.finishedAt?.getTime() ?? null,
        modelVersion: next.modelVersion ?? null,
        error: next.error ?? null,
        progress: next.progress ?? null,
      })
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
