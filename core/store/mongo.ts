// MongoDB adapter. Stays within what MongoDB and FerretDB 1.24 both support: no multi-document
// transactions and no change streams, so the cascade delete is a sequence of scoped deleteMany
// calls that is safe to repeat.
import {
  Binary,
  MongoBulkWriteError,
  MongoClient,
  MongoClientClosedError,
  MongoError,
  MongoExpiredSessionError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type AnyBulkWriteOperation, type Collection, type Db } from 'mongodb'
import type { Attributes, Totals } from '../schemas'
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

interface WebshopDoc extends Omit<WebshopRecord, 'id'> {
  _id: string
}
interface EntityDoc {
  webshopId: string
  externalId: string
  attributes: Attributes
  createdAt: Date
  updatedAt: Date
}
interface EventDoc extends EventRecord {
  webshopId: string
}
/** A model's metadata; its artifact lives in `model_chunks`, so no model is bound by the 16 MB document limit. */
interface ModelDoc extends Omit<ModelRecord, 'artifact'> {
  chunks: number
}
interface ChunkDoc {
  webshopId: string
  version: number
  n: number
  data: Binary
}

/** Artifact bytes per chunk document: well under MongoDB's 16 MB, and what FerretDB was checked with. */
const CHUNK_BYTES = 8 * 1024 * 1024
interface JobDoc extends Omit<JobRecord, 'id'> {
  _id: string
}

const DUPLICATE_KEY = 11000

export class MongoStore implements Store {
  private readonly client: MongoClient
  private readonly db: Db
  private readonly webshops: Collection<WebshopDoc>
  private readonly users: Collection<EntityDoc>
  private readonly items: Collection<EntityDoc>
  private readonly events: Collection<EventDoc>
  private readonly models: Collection<ModelDoc>
  private readonly chunks: Collection<ChunkDoc>
  private readonly jobs: Collection<JobDoc>

  constructor(url: string, dbName: string) {
    // Short selection timeout: a request that cannot reach MongoDB should fail fast (503), not hang.
    this.client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, ignoreUndefined: true })
    this.db = this.client.db(dbName)
    this.webshops = this.db.collection('webshops')
    this.users = this.db.collection('users')
    this.items = this.db.collection('items')
    this.events = this.db.collection('events')
    this.models = this.db.collection('models')
    this.chunks = this.db.collection('model_chunks')
    this.jobs = this.db.collection('jobs')
  }

  async init(): Promise<void> {
    await this.client.connect()
    await Promise.all([
      this.webshops.createIndex({ email: 1 }, { unique: true, name: 'email_unique' }),
      this.webshops.createIndex({ apiKeyHash: 1 }, { unique: true, name: 'apiKeyHash_unique' }),
      this.users.createIndex({ webshopId: 1, externalId: 1 }, { unique: true, name: 'webshop_externalId_unique' }),
      this.items.createIndex({ webshopId: 1, externalId: 1 }, { unique: true, name: 'webshop_externalId_unique' }),
      this.events.createIndex({ webshopId: 1, eventId: 1 }, { unique: true, name: 'webshop_eventId_unique' }),
      this.events.createIndex({ webshopId: 1, userId: 1, timestamp: -1 }, { name: 'webshop_user_time' }),
      this.events.createIndex({ webshopId: 1, timestamp: -1 }, { name: 'webshop_time' }),
      this.models.createIndex({ webshopId: 1, version: -1 }, { unique: true, name: 'webshop_version_unique' }),
      this.chunks.createIndex({ webshopId: 1, version: 1, n: 1 }, { unique: true, name: 'webshop_version_n_unique' }),
      this.jobs.createIndex({ webshopId: 1, createdAt: -1 }, { name: 'webshop_created' }),
    ])
  }

  async close(): Promise<void> {
    await this.client.close()
  }

  isTransientError(err: unknown): boolean {
    return (
      err instanceof MongoNetworkError ||
      err instanceof MongoServerSelectionError ||
      err instanceof MongoNotConnectedError ||
      // The client closed under a request (the process is stopping): unavailable, not a bug.
      err instanceof MongoClientClosedError ||
      err instanceof MongoTopologyClosedError ||
      err instanceof MongoExpiredSessionError ||
      (err instanceof MongoError && (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError')))
    )
  }

  async createWebshop(w: WebshopRecord): Promise<void> {
    const { id, ...rest } = w
    try {
      await this.webshops.insertOne({ _id: id, ...rest })
    } catch (err) {
      throw await this.explainConflict(err, id, w.email)
    }
  }

  /**
   * A write failed: was it because another webshop has this email? Asked of the data, not of the
   * error text: FerretDB names no index in E11000 and reports a unique violation in
   * findAndModify as InternalError.
   */
  private async explainConflict(err: unknown, id: string, email: string): Promise<unknown> {
    if (!(err instanceof MongoServerError)) return err
    const holder = await this.webshops.findOne({ email, _id: { $ne: id } }, { projection: { _id: 1 } })
    return holder ? new DuplicateEmailError('email already registered') : err
  }

  async findWebshopById(id: string): Promise<WebshopRecord | null> {
    return toWebshop(await this.webshops.findOne({ _id: id }))
  }

  async findWebshopByKeyHash(apiKeyHash: string): Promise<WebshopRecord | null> {
    return toWebshop(await this.webshops.findOne({ apiKeyHash }))
  }

  async updateWebshop(id: string, patch: WebshopPatch, updatedAt: Date): Promise<WebshopRecord | null> {
    try {
      const doc = await this.webshops.findOneAndUpdate({ _id: id }, { $set: { ...patch, updatedAt } }, { returnDocument: 'after' })
      return toWebshop(doc)
    } catch (err) {
      throw patch.email ? await this.explainConflict(err, id, patch.email) : err
    }
  }

  async deleteWebshop(id: string): Promise<boolean> {
    // The webshop goes first so its key stops working at once; its data follows.
    const { deletedCount } = await this.webshops.deleteOne({ _id: id })
    const scope = { webshopId: id }
    await Promise.all([
      this.users.deleteMany(scope),
      this.items.deleteMany(scope),
      this.events.deleteMany(scope),
      this.models.deleteMany(scope),
      this.chunks.deleteMany(scope),
      this.jobs.deleteMany(scope),
    ])
    return deletedCount === 1
  }

  async existingWebshopIds(ids: string[]): Promise<Set<string>> {
    const docs = await this.webshops.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()
    return new Set(docs.map((d) => d._id))
  }

  async totals(webshopId: string): Promise<Totals> {
    const scope = { webshopId }
    const [users, items, events] = await Promise.all([
      this.users.countDocuments(scope),
      this.items.countDocuments(scope),
      this.events.countDocuments(scope),
    ])
    return { users, items, events }
  }

  async writeBatch(batch: IngestBatch): Promise<number> {
    const { webshopId } = batch
    await Promise.all([
      upsertEntities(this.users, webshopId, batch.users),
      upsertEntities(this.items, webshopId, batch.items),
    ])
    if (batch.events.length === 0) return 0
    try {
      const res = await this.events.insertMany(
        batch.events.map((e) => ({ webshopId, ...e })),
        { ordered: false },
      )
      return res.insertedCount
    } catch (err) {
      // Redelivered events hit the unique (webshopId, eventId) index; everything else was inserted.
      if (err instanceof MongoBulkWriteError && err.writeErrors && onlyDuplicates(err)) return err.result.insertedCount
      throw err
    }
  }

  async findEntity(kind: EntityKind, webshopId: string, externalId: string): Promise<EntityRecord | null> {
    const coll = kind === 'users' ? this.users : this.items
    return coll.findOne({ webshopId, externalId }, { projection: { _id: 0, webshopId: 0 } })
  }

  async itemsMatching(webshopId: string, itemIds: string[], filter: Record<string, string>): Promise<Set<string>> {
    if (itemIds.length === 0) return new Set()
    const query: Record<string, unknown> = { webshopId, externalId: { $in: itemIds } }
    for (const [key, value] of Object.entries(filter)) query[`attributes.${key}`] = { $in: attributeForms(value) }
    const docs = await this.items.find(query, { projection: { _id: 0, externalId: 1 } }).toArray()
    return new Set(docs.map((d) => d.externalId))
  }

  async userEvents(webshopId: string, userId: string, limit: number): Promise<EventRecord[]> {
    const docs = await this.events
      .find({ webshopId, userId }, { projection: { _id: 0, webshopId: 0 } })
      .sort({ timestamp: -1, eventId: -1 })
      .limit(limit)
      .toArray()
    return docs
  }

  async userEventCount(webshopId: string, userId: string): Promise<number> {
    return this.events.countDocuments({ webshopId, userId })
  }

  async userHistory(webshopId: string, userId: string, limit: number): Promise<HistoryEvent[]> {
    return this.events
      .find({ webshopId, userId }, { projection: { _id: 0, itemId: 1, type: 1, timestamp: 1 } })
      .sort({ timestamp: -1 })
      .limit(limit)
      .toArray()
  }

  async *interactions(webshopId: string, pageSize: number): AsyncIterable<InteractionPage> {
    const cursor = this.events.find(
      { webshopId },
      { projection: { _id: 0, userId: 1, itemId: 1, type: 1, timestamp: 1 }, batchSize: pageSize },
    )
    let page: InteractionPage = []
    for await (const doc of cursor) {
      page.push(doc)
      if (page.length === pageSize) {
        yield page
        page = []
      }
    }
    if (page.length > 0) yield page
  }

  async popularItems(webshopId: string, since: Date, limit: number): Promise<{ itemId: string; count: number }[]> {
    // Renaming _id happens here, not in a $project stage: FerretDB 1.24 lacks $project expressions.
    const rows = await this.events
      .aggregate<{ _id: string; count: number }>([
        { $match: { webshopId, timestamp: { $gte: since } } },
        { $group: { _id: '$itemId', count: { $sum: 1 } } },
        { $sort: { count: -1, _id: 1 } },
        { $limit: limit },
      ])
      .toArray()
    return rows.map((r) => ({ itemId: r._id, count: r.count }))
  }

  async saveModel(model: Omit<ModelRecord, 'version'>): Promise<number> {
    const { artifact, ...meta } = model
    const count = Math.max(1, Math.ceil(artifact.byteLength / CHUNK_BYTES))
    // The chunks go first and claim the version (their unique index decides between two trainings
    // of one shop); the model document, written last, makes the version visible, complete.
    for (;;) {
      const version = ((await this.latestModelVersion(model.webshopId)) ?? 0) + 1
      try {
        for (let n = 0; n < count; n++) {
          const data = new Binary(artifact.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES))
          await this.chunks.insertOne({ webshopId: model.webshopId, version, n, data })
        }
      } catch (err) {
        if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) continue
        throw err
      }
      await this.models.insertOne({ ...meta, version, chunks: count })
      const old = { webshopId: model.webshopId, version: { $lte: version - MODELS_KEPT } }
      await Promise.all([this.models.deleteMany(old), this.chunks.deleteMany(old)])
      return version
    }
  }

  async latestModel(webshopId: string): Promise<ModelRecord | null> {
    const doc = await this.models.findOne({ webshopId }, { sort: { version: -1 }, projection: { _id: 0 } })
    if (!doc) return null
    const parts = await this.chunks.find({ webshopId, version: doc.version }, { sort: { n: 1 }, projection: { _id: 0, data: 1 } }).toArray()
    const { chunks, ...meta } = doc
    if (parts.length !== chunks) throw new Error(`model ${doc.version} of ${webshopId} has ${parts.length} of ${chunks} chunks`)
    return { ...meta, artifact: Buffer.concat(parts.map((p) => p.data.buffer)) }
  }

  async latestModelVersion(webshopId: string): Promise<number | null> {
    const doc = await this.models.findOne({ webshopId }, { sort: { version: -1 }, projection: { _id: 0, version: 1 } })
    return doc?.version ?? null
  }

  async createJob(job: JobRecord): Promise<void> {
    const { id, ...rest } = job
    await this.jobs.insertOne({ _id: id, ...rest })
  }

  async getJob(webshopId: string, jobId: string): Promise<JobRecord | null> {
    const doc = await this.jobs.findOne({ _id: jobId, webshopId })
    if (!doc) return null
    const { _id, ...rest } = doc
    return { id: _id, ...rest }
  }

  async updateJob(webshopId: string, jobId: string, patch: JobPatch): Promise<void> {
    await this.jobs.updateOne({ _id: jobId, webshopId }, { $set: patch })
  }
}

/** A query-string value as every attribute value it may stand for. */
function attributeForms(value: string): (string | number | boolean)[] {
  const forms: (string | number | boolean)[] = [value]
  if (value.trim() !== '' && Number.isFinite(Number(value))) forms.push(Number(value))
  if (value === 'true' || value === 'false') forms.push(value === 'true')
  return forms
}

function toWebshop(doc: WebshopDoc | null): WebshopRecord | null {
  if (!doc) return null
  const { _id, ...rest } = doc
  return { id: _id, ...rest }
}


function onlyDuplicates(err: MongoBulkWriteError): boolean {
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]
  return errors.every((e) => e.code === DUPLICATE_KEY)
}

/** One upsert per entity: attributes merge key by key, createdAt is set once. */
async function upsertEntities(coll: Collection<EntityDoc>, webshopId: string, entities: EntityUpsert[]): Promise<void> {
  if (entities.length === 0) return
  const ops: AnyBulkWriteOperation<EntityDoc>[] = entities.map((e) => {
    const set: Record<string, unknown> = { updatedAt: e.seenAt }
    const onInsert: Record<string, unknown> = { createdAt: e.seenAt }
    const keys = Object.keys(e.attributes)
    for (const key of keys) set[`attributes.${key}`] = e.attributes[key]
    // `attributes` itself may only be set on insert when no key of it is set, or MongoDB reports a path conflict.
    if (keys.length === 0) onInsert.attributes = {}
    return {
      updateOne: {
        filter: { webshopId, externalId: e.externalId },
        update: { $set: set, $setOnInsert: onInsert },
        upsert: true,
      },
    }
  })
  try {
    await coll.bulkWrite(ops, { ordered: false })
  } catch (err) {
    // Two workers upserting the same new entity at once: one insert loses the race on the unique
    // index. Running the same idempotent upserts again turns the loser into an update.
    if (err instanceof MongoBulkWriteError && onlyDuplicates(err)) {
      await coll.bulkWrite(ops, { ordered: false })
      return
    }
    throw err
  }
}
