// The storage port. Every method that touches a webshop's data takes its webshopId: no query
// in an adapter may run unscoped. Adapters: mongo.ts (production), sqlite.ts (embedded).
import type { Attributes, JobStatus, Totals, WebshopSettings } from '../schemas'

export interface WebshopRecord {
  id: string
  email: string
  name: string
  passwordHash: string
  apiKeyHash: string
  apiKeyPrefix: string
  settings: WebshopSettings
  createdAt: Date
  updatedAt: Date
}
export type WebshopPatch = Partial<Pick<WebshopRecord, 'email' | 'name' | 'passwordHash' | 'settings'>>

export interface EventRecord {
  eventId: string
  userId: string
  itemId: string
  type: string
  timestamp: Date
  receivedAt: Date
}

/** A user or item to create, or whose attributes to merge key by key. */
export interface EntityUpsert {
  externalId: string
  attributes: Attributes
  seenAt: Date
}

export type EntityKind = 'users' | 'items'
export interface EntityRecord {
  externalId: string
  attributes: Attributes
  createdAt: Date
  updatedAt: Date
}

/** Everything one webshop's share of a worker batch writes. */
export interface IngestBatch {
  webshopId: string
  users: EntityUpsert[]
  items: EntityUpsert[]
  events: EventRecord[]
}

export interface ModelRecord {
  webshopId: string
  version: number
  algorithm: string
  trainedAt: Date
  params: Record<string, unknown>
  metrics: Record<string, unknown>
  artifact: Uint8Array
}

export interface JobRecord {
  id: string
  webshopId: string
  status: JobStatus
  createdAt: Date
  startedAt?: Date
  finishedAt?: Date
  modelVersion?: number
  error?: string
  /** What a running job is doing now, e.g. "evaluating ease (4/4)". */
  progress?: string
}
export type JobPatch = Partial<Pick<JobRecord, 'status' | 'startedAt' | 'finishedAt' | 'modelVersion' | 'error' | 'progress'>>

export type HistoryEvent = Pick<EventRecord, 'itemId' | 'type' | 'timestamp'>

/** Interactions for training, in pages so a large shop never sits in memory as documents. */
export type InteractionPage = Pick<EventRecord, 'userId' | 'itemId' | 'type' | 'timestamp'>[]

/** Thrown by createWebshop/updateWebshop when the email belongs to another webshop. */
export class DuplicateEmailError extends Error {
  override name = 'DuplicateEmailError'
}

export interface Store {
  /** Creates collections/tables and indexes; safe to run on every start. */
  init(): Promise<void>
  close(): Promise<void>
  /** True when an error this store threw means "unreachable or busy, try again", not "this input can never be written". */
  isTransientError(err: unknown): boolean

  createWebshop(webshop: WebshopRecord): Promise<void>
  findWebshopById(id: string): Promise<WebshopRecord | null>
  findWebshopByKeyHash(apiKeyHash: string): Promise<WebshopRecord | null>
  updateWebshop(id: string, patch: WebshopPatch, updatedAt: Date): Promise<WebshopRecord | null>
  /** Deletes the webshop and all its users, items, events, models and jobs. */
  deleteWebshop(id: string): Promise<boolean>
  /** Which of these ids still exist (the worker drops events of deleted webshops). */
  existingWebshopIds(ids: string[]): Promise<Set<string>>
  totals(webshopId: string): Promise<Totals>

  /** Upserts users and items (attributes merged), inserts events; an event already stored is skipped. Returns how many events were new. */
  writeBatch(batch: IngestBatch): Promise<number>
  /** A user or item as stored, attributes merged over all its events. */
  findEntity(kind: EntityKind, webshopId: string, externalId: string): Promise<EntityRecord | null>
  /** Which of these items have every attribute in `filter` (values compared as given, or as the number or boolean they spell). */
  itemsMatching(webshopId: string, itemIds: string[], filter: Record<string, string>): Promise<Set<string>>
  /** The user's events, newest first. */
  userEvents(webshopId: string, userId: string, limit: number): Promise<EventRecord[]>
  /**
   * How many events the store holds for this user. Events are only ever added (no route removes
   * one user's events), so this count is a version of the user's history: the recommend path
   * keeps an answer while it is unchanged.
   */
  userEventCount(webshopId: string, userId: string): Promise<number>
  /** The user's newest interactions, for scoring at request time: one indexed read. */
  userHistory(webshopId: string, userId: string, limit: number): Promise<HistoryEvent[]>
  /** All of a webshop's interactions in pages of `pageSize`, in no particular order. */
  interactions(webshopId: string, pageSize: number): AsyncIterable<InteractionPage>
  /** Event counts per item since a time, highest first (the fallback when a shop has no model). */
  popularItems(webshopId: string, since: Date, limit: number): Promise<{ itemId: string; count: number }[]>

  /** Saves the model as the next version and returns that version; older versions beyond the last few are pruned. */
  saveModel(model: Omit<ModelRecord, 'version'>): Promise<number>
  latestModel(webshopId: string): Promise<ModelRecord | null>
  latestModelVersion(webshopId: string): Promise<number | null>

  createJob(job: JobRecord): Promise<void>
  getJob(webshopId: string, jobId: string): Promise<JobRecord | null>
  updateJob(webshopId: string, jobId: string, patch: JobPatch): Promise<void>
}

/** How many model versions a webshop keeps. */
export const MODELS_KEPT = 3
