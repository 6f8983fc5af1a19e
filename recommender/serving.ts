// The request path: which model version each webshop serves (checked every MODEL_REFRESH_MS, at
// once when a broadcast says a new one is done), scored against the user's history as the store
// holds it right now by a Scorer (scorer.ts: on this thread, or on scoring threads that load each
// model once per version). An answer is kept and served again while nothing it depends on
// changed: the model version, the shop's settings and the user's history, whose version is the
// count of the user's events (events are only ever added), so a request that finds them
// unchanged costs one counting read instead of a history read and a scoring.
import type { HistoryEvent, Store } from '../core/store/store'
import type { History, ScoredItem } from './interface'
import { shared } from '../core/single-flight'
import { InlineScorer, type Scorer } from './scorer'

/** How much of a user's history is read per request: the newest events. */
export const HISTORY_LIMIT = 1000
// Short: a new shop should see its first events reflected within seconds.
const POPULAR_FALLBACK_TTL_MS = 5_000

interface Loaded {
  version: number
  checkedAt: number
}

export class ModelCache {
  private readonly models = new Map<string, Loaded>()
  private readonly loading = new Map<string, Promise<Loaded | null>>()
  private readonly fallback = new Map<string, { at: number; items: ScoredItem[]; complete: boolean }>()
  /** Recent answers, least recently used first (a Map keeps insertion order). */
  private readonly answers = new Map<string, { version: string; result: RecommendResult }>()

  constructor(
    private readonly store: Store,
    /** How long a model version is trusted before it is checked again. */
    private readonly refreshMs: number,
    /** How many answers to keep (0: none). */
    readonly answerEntries = 0,
    /** Who scores with the models: this thread unless told otherwise. */
    readonly scorer: Scorer = new InlineScorer(store),
  ) {}

  /** The answer kept under `key` if it was computed for this `version` of its inputs. */
  answer(key: string, version: string): RecommendResult | undefined {
    const hit = this.answers.get(key)
    if (!hit || hit.version !== version) return undefined
    this.answers.delete(key)
    this.answers.set(key, hit)
    return hit.result
  }

  remember(key: string, version: string, result: RecommendResult): void {
    this.answers.delete(key)
    if (this.answers.size >= this.answerEntries) this.answers.delete(this.answers.keys().next().value!)
    this.answers.set(key, { version, result })
  }

  /** A newer version exists (a broadcast said so): the next request reloads. */
  invalidate(webshopId: string): void {
    const cached = this.models.get(webshopId)
    if (cached) cached.checkedAt = 0
  }

  forget(webshopId: string): void {
    this.models.delete(webshopId)
    this.fallback.delete(webshopId)
    for (const key of this.answers.keys()) if (key.startsWith(`${webshopId}\n`)) this.answers.delete(key)
    this.scorer.forget(webshopId)
  }

  /** The model version the shop serves now; null without one. */
  async get(webshopId: string): Promise<Loaded | null> {
    const cached = this.models.get(webshopId)
    if (cached && Date.now() - cached.checkedAt < this.refreshMs) return cached
    return shared(this.loading, webshopId, () => this.refresh(webshopId))
  }

  private async refresh(webshopId: string): Promise<Loaded | null> {
    const version = await this.store.latestModelVersion(webshopId)
    if (version === null) {
      this.models.delete(webshopId)
      return null
    }
    const loaded = { version, checkedAt: Date.now() }
    this.models.set(webshopId, loaded)
    return loaded
  }

  /** Popular items straight from the events, for a shop with no model yet; cached briefly. */
  async popularFallback(webshopId: string, limit: number): Promise<ScoredItem[]> {
    const hit = this.fallback.get(webshopId)
    // A cached list serves if it is long enough, or if it already holds every item the shop has.
    if (hit && Date.now() - hit.at < POPULAR_FALLBACK_TTL_MS && (hit.items.length >= limit || hit.complete)) return hit.items
    const wanted = Math.max(limit, 100)
    const rows = await this.store.popularItems(webshopId, new Date(0), wanted)
    const top = rows[0]?.count ?? 1
    const items = rows.map((r) => ({ itemId: r.itemId, score: r.count / top }))
    this.fallback.set(webshopId, { at: Date.now(), items, complete: rows.length < wanted })
    return items
  }
}

export function historyFrom(events: HistoryEvent[], weights: Record<string, number>): History {
  const history: History = new Map()
  for (const e of events) {
    const w = weights[e.type] ?? 0
    const entry = history.get(e.itemId)
    const t = e.timestamp.getTime()
    if (entry) {
      entry.weight += w
      if (t > entry.lastSeen) entry.lastSeen = t
    } else history.set(e.itemId, { weight: w, lastSeen: t })
  }
  return history
}

/** Attribute filter: only items whose attributes have all these values. */
export type ItemFilter = Record<string, string>

/** How many candidates a filtered request ranks before it filters. */
const FILTER_CANDIDATES = 500

/** Keeps ranked items that match the filter, in order, up to `limit`. */
async function applyFilter(store: Store, webshopId: string, ranked: ScoredItem[], filter: ItemFilter | undefined, limit: number): Promise<ScoredItem[]> {
  if (!filter || Object.keys(filter).length === 0) return ranked.slice(0, limit)
  const matching = await store.itemsMatching(webshopId, ranked.map((r) => r.itemId), filter)
  return ranked.filter((r) => matching.has(r.itemId)).slice(0, limit)
}

const hasFilter = (filter?: ItemFilter) => !!filter && Object.keys(filter).length > 0

export interface RecommendRequest {
  webshopId: string
  userId: string
  weights: Record<string, number>
  /** Changes whenever the shop's settings (and so `weights`) may have changed. */
  settingsVersion: number
  limit: number
  includeSeen: boolean
  filter?: ItemFilter
}

export interface RecommendResult {
  items: ScoredItem[]
  algorithm: string
  modelVersion: number | null
}

export async function recommendForUser(store: Store, cache: ModelCache, req: RecommendRequest): Promise<RecommendResult> {
  // Filtered answers also depend on item attributes, which change without the user's events:
  // they are always computed.
  const keep = cache.answerEntries > 0 && !hasFilter(req.filter)
  const [loaded, count] = await Promise.all([cache.get(req.webshopId), keep ? store.userEventCount(req.webshopId, req.userId) : 0])
  if (!keep || !loaded) return computeForUser(store, cache, req, loaded)
  const key = `${req.webshopId}\n${req.userId}\n${req.limit}\n${req.includeSeen ? 1 : 0}`
  const version = `${loaded.version}\n${req.settingsVersion}\n${count}`
  const kept = cache.answer(key, version)
  if (kept) return kept
  // Events stored between the count and the history read only make this answer newer than
  // `version` says; the next request then counts more and computes again.
  const result = await computeForUser(store, cache, req, loaded)
  cache.remember(key, version, result)
  return result
}

/** Scores the user's stored history with the shop's model (`loaded`), or ranks popular items without one. */
async function computeForUser(store: Store, cache: ModelCache, req: RecommendRequest, loaded: Loaded | null): Promise<RecommendResult> {
  const history = historyFrom(await store.userHistory(req.webshopId, req.userId, HISTORY_LIMIT), req.weights)
  const wanted = hasFilter(req.filter) ? FILTER_CANDIDATES : req.limit
  if (loaded) {
    const scored = await cache.scorer.recommend({ webshopId: req.webshopId, version: loaded.version, history, limit: wanted, includeSeen: req.includeSeen })
    if (scored) return { items: await applyFilter(store, req.webshopId, scored.items, req.filter, req.limit), algorithm: scored.algorithm, modelVersion: scored.version }
  }
  const exclude: ReadonlySet<string> = req.includeSeen ? new Set() : new Set(history.keys())
  const popular = (await cache.popularFallback(req.webshopId, wanted + exclude.size)).filter((p) => !exclude.has(p.itemId))
  return { items: await applyFilter(store, req.webshopId, popular, req.filter, req.limit), algorithm: 'popular', modelVersion: null }
}

export interface SimilarRequest {
  webshopId: string
  itemId: string
  limit: number
  filter?: ItemFilter
}

/** "Customers who bought this also bought": the model's links of the item, then popular items. */
export async function similarItems(store: Store, cache: ModelCache, req: SimilarRequest): Promise<RecommendResult> {
  const loaded = await cache.get(req.webshopId)
  const wanted = hasFilter(req.filter) ? FILTER_CANDIDATES : req.limit
  if (loaded) {
    const scored = await cache.scorer.similar({ webshopId: req.webshopId, version: loaded.version, itemId: req.itemId, limit: wanted })
    if (scored) return { items: await applyFilter(store, req.webshopId, scored.items, req.filter, req.limit), algorithm: scored.algorithm, modelVersion: scored.version }
  }
  const popular = (await cache.popularFallback(req.webshopId, wanted + 1)).filter((p) => p.itemId !== req.itemId)
  return { items: await applyFilter(store, req.webshopId, popular, req.filter, req.limit), algorithm: 'popular', modelVersion: null }
}

export interface PopularRequest {
  webshopId: string
  limit: number
  /** Count events of the last this many days. */
  days: number
  filter?: ItemFilter
}

/** What is popular now: event counts over the last `days` days, straight from the store. */
export async function popularNow(store: Store, req: PopularRequest, now = Date.now()): Promise<ScoredItem[]> {
  const rows = await store.popularItems(req.webshopId, new Date(now - req.days * 86_400_000), hasFilter(req.filter) ? FILTER_CANDIDATES : req.limit)
  const top = rows[0]?.count ?? 1
  return applyFilter(store, req.webshopId, rows.map((r) => ({ itemId: r.itemId, score: r.count / top })), req.filter, req.limit)
}
