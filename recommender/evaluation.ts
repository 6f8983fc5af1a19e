// Offline evaluation: a time split and the ranking metrics of protocol OR-T
// (binary relevance; Recall@K = hits / min(K, |truth|); NDCG@K with the ideal DCG over
// min(K, |truth|) places; HitRate@K).
import type { RawInteraction } from './dataset'

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
