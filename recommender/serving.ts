// The request path: the latest model of each webshop held in memory (loaded once per version),
// scored against the user's history as the store holds it right now.
import type { HistoryEvent, Store } from '../core/store/store'
import type { History, ScoredItem, TrainedModel } from './interface'
import { getRecommender } from './registry'

/** How much of a user's history is read per request: the newest events. */
export const HISTORY_LIMIT = 500
const POPULAR_FALLBACK_TTL_MS = 60_000

interface Loaded {
  version: number
  model: TrainedModel
  checkedAt: number
}

export class ModelCache {
  private readonly models = new Map<string, Loaded>()
  private readonly loading = new Map<string, Promise<Loaded | null>>()
  private readonly fallback = new Map<string, { at: number; items: ScoredItem[] }>()

  constructor(
    private readonly store: Store,
    /** How long a cached model is trusted before its version is checked again. */
    private readonly refreshMs: number,
  ) {}

  /** A newer version exists (a broadcast said so): the next request reloads. */
  invalidate(webshopId: string): void {
    const cached = this.models.get(webshopId)
    if (cached) cached.checkedAt = 0
  }

  forget(webshopId: string): void {
    this.models.delete(webshopId)
    this.fallback.delete(webshopId)
  }

  async get(webshopId: string): Promise<Loaded | null> {
    const cached = this.models.get(webshopId)
    if (cached && Date.now() - cached.checkedAt < this.refreshMs) return cached
    let pending = this.loading.get(webshopId)
    if (!pending) {
      pending = this.refresh(webshopId, cached).finally(() => this.loading.delete(webshopId))
      this.loading.set(webshopId, pending)
    }
    return pending
  }

  private async refresh(webshopId: string, cached: Loaded | undefined): Promise<Loaded | null> {
    const version = await this.store.latestModelVersion(webshopId)
    if (version === null) {
      this.models.delete(webshopId)
      return null
    }
    if (cached && cached.version === version) {
      cached.checkedAt = Date.now()
      return cached
    }
    const record = await this.store.latestModel(webshopId)
    if (!record) return null
    const loaded = { version: record.version, model: getRecommender(record.algorithm).deserialize(record.artifact), checkedAt: Date.now() }
    this.models.set(webshopId, loaded)
    return loaded
  }

  /** Popular items straight from the events, for a shop with no model yet; cached briefly. */
  async popularFallback(webshopId: string, limit: number): Promise<ScoredItem[]> {
    const hit = this.fallback.get(webshopId)
    if (hit && Date.now() - hit.at < POPULAR_FALLBACK_TTL_MS && hit.items.length >= limit) return hit.items
    const rows = await this.store.popularItems(webshopId, new Date(0), Math.max(limit, 100))
    const top = rows[0]?.count ?? 1
    const items = rows.map((r) => ({ itemId: r.itemId, score: r.count / top }))
    this.fallback.set(webshopId, { at: Date.now(), items })
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

export interface RecommendRequest {
  webshopId: string
  userId: string
  weights: Record<string, number>
  limit: number
  includeSeen: boolean
}

export interface RecommendResult {
  items: ScoredItem[]
  algorithm: string
  modelVersion: number | null
}

export async function recommendForUser(store: Store, cache: ModelCache, req: RecommendRequest): Promise<RecommendResult> {
  const [loaded, events] = await Promise.all([cache.get(req.webshopId), store.userHistory(req.webshopId, req.userId, HISTORY_LIMIT)])
  const history = historyFrom(events, req.weights)
  const exclude: ReadonlySet<string> = req.includeSeen ? new Set() : new Set(history.keys())
  if (loaded) {
    return {
      items: loaded.model.recommend(history, { limit: req.limit, exclude }),
      algorithm: loaded.model.algorithm,
      modelVersion: loaded.version,
    }
  }
  const popular = await cache.popularFallback(req.webshopId, req.limit + exclude.size)
  return { items: popular.filter((p) => !exclude.has(p.itemId)).slice(0, req.limit), algorithm: 'popular', modelVersion: null }
}
