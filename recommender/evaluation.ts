// Offline evaluation: a time split and the ranking metrics of protocol OR-T
// (binary relevance; Recall@K = hits / min(K, |truth|); NDCG@K with the ideal DCG over
// min(K, |truth|) places; HitRate@K).
import type { RawInteraction } from './dataset'
import type { History } from './interface'

export interface Split {
  train: RawInteraction[]
  /** Per test user: the distinct items they interacted with on or after the cut. */
  test: Map<string, Set<string>>
}

/** Everything before `cut` trains; test users are those with interactions on both sides. */
export function timeSplit(interactions: RawInteraction[], cut: number): Split {
  const train: RawInteraction[] = []
  const later = new Map<string, Set<string>>()
  const trainUsers = new Set<string>()
  for (const e of interactions) {
    if (e.timestamp < cut) {
      train.push(e)
      trainUsers.add(e.userId)
    } else {
      let items = later.get(e.userId)
      if (!items) later.set(e.userId, (items = new Set()))
      items.add(e.itemId)
    }
  }
  const test = new Map([...later].filter(([user]) => trainUsers.has(user)))
  return { train, test }
}

export interface RankMetrics {
  recall: number
  ndcg: number
  hit: number
}

export function rankMetrics(ranked: string[], truth: ReadonlySet<string>, k: number): RankMetrics {
  let hits = 0
  let dcg = 0
  const top = ranked.slice(0, k)
  top.forEach((item, i) => {
    if (truth.has(item)) {
      hits++
      dcg += 1 / Math.log2(i + 2)
    }
  })
  const ideal = Math.min(k, truth.size)
  let idcg = 0
  for (let i = 0; i < ideal; i++) idcg += 1 / Math.log2(i + 2)
  return { recall: ideal === 0 ? 0 : hits / ideal, ndcg: idcg === 0 ? 0 : dcg / idcg, hit: hits > 0 ? 1 : 0 }
}

/** Mean of each metric over users. */
export function meanMetrics(rows: RankMetrics[]): RankMetrics {
  const n = rows.length || 1
  return {
    recall: rows.reduce((s, r) => s + r.recall, 0) / n,
    ndcg: rows.reduce((s, r) => s + r.ndcg, 0) / n,
    hit: rows.reduce((s, r) => s + r.hit, 0) / n,
  }
}

/** Each user's history as the service would read it: summed weights and last time per item. */
export function historiesOf(interactions: RawInteraction[]): Map<string, History> {
  const byUser = new Map<string, History>()
  for (const e of interactions) {
    let h = byUser.get(e.userId)
    if (!h) byUser.set(e.userId, (h = new Map()))
    const entry = h.get(e.itemId)
    if (entry) {
      entry.weight += e.weight
      entry.lastSeen = Math.max(entry.lastSeen, e.timestamp)
    } else h.set(e.itemId, { weight: e.weight, lastSeen: e.timestamp })
  }
  return byUser
}

/**
 * `all`: the truth is every item a test user took later, seen items may be ranked.
 * `new`: only items new to the user count, and seen items are excluded.
 */
export type Protocol = 'all' | 'new'

export interface Evaluation {
  k10: RankMetrics
  k20: RankMetrics
  /** Share of the catalogue that appears in someone's top 10. */
  coverage: number
  users: number
}

export type Ranker = (history: History, exclude: Set<string>) => string[]

export function evaluate(rank: Ranker, protocol: Protocol, split: Split, histories: Map<string, History>, catalogue: number): Evaluation {
  const m10: RankMetrics[] = []
  const m20: RankMetrics[] = []
  const covered = new Set<string>()
  for (const [user, items] of split.test) {
    const history = histories.get(user) ?? new Map()
    const truth = protocol === 'all' ? items : new Set([...items].filter((i) => !history.has(i)))
    if (truth.size === 0) continue
    const ranked = rank(history, protocol === 'all' ? new Set() : new Set(history.keys()))
    m10.push(rankMetrics(ranked, truth, 10))
    m20.push(rankMetrics(ranked, truth, 20))
    for (const item of ranked.slice(0, 10)) covered.add(item)
  }
  return { k10: meanMetrics(m10), k20: meanMetrics(m20), coverage: catalogue === 0 ? 0 : covered.size / catalogue, users: m10.length }
}
