// Picks a webshop's algorithm on its own data: every registered candidate is trained on all but
// the newest tenth of the interactions and ranked by NDCG@10 on what the users did next,
// averaged over both protocols (seen items allowed, and only new items). The winner is then
// refitted on everything by the caller.
import { datasetFrom, type RawInteraction } from './dataset'
import { evaluate, historiesOf, timeSplit } from './evaluation'
import type { RecommenderInterface } from './interface'

export interface CandidateResult {
  algorithm: string
  params: Record<string, unknown>
  ndcgAll: number
  ndcgNew: number
  score: number
  trainSeconds: number
}

export interface Selection {
  chosen: string
  /** The holdout: interactions at or after `cut` (epoch ms) by users seen before it. */
  cut: number | null
  testUsers: number
  candidates: CandidateResult[]
}

/** Fewer holdout users than this and the comparison means nothing: the fallback is kept. */
export const MIN_TEST_USERS = 5
const HOLDOUT_SHARE = 0.1

export async function selectAlgorithm(
  interactions: RawInteraction[],
  candidates: RecommenderInterface<any>[],
  fallback: string,
  onProgress: (stage: string) => Promise<void> | void = () => {},
): Promise<Selection> {
  if (interactions.length === 0) return { chosen: fallback, cut: null, testUsers: 0, candidates: [] }
  const times = interactions.map((e) => e.timestamp).sort((a, b) => a - b)
  const cut = times[Math.floor(times.length * (1 - HOLDOUT_SHARE))]!
  const split = timeSplit(interactions, cut)
  if (split.test.size < MIN_TEST_USERS) return { chosen: fallback, cut, testUsers: split.test.size, candidates: [] }

  const data = datasetFrom(split.train)
  const histories = historiesOf(split.train)
  const results: CandidateResult[] = []
  for (const [n, algorithm] of candidates.entries()) {
    await onProgress(`evaluating ${algorithm.name} (${n + 1}/${candidates.length})`)
    const started = performance.now()
    const model = algorithm.train(data, algorithm.defaultParams)
    const trainSeconds = (performance.now() - started) / 1000
    const rank = (history: Parameters<typeof model.recommend>[0], exclude: Set<string>) => model.recommend(history, { limit: 10, exclude }).map((r) => r.itemId)
    const ndcgAll = evaluate(rank, 'all', split, histories, data.items.length).k10.ndcg
    const ndcgNew = evaluate(rank, 'new', split, histories, data.items.length).k10.ndcg
    results.push({ algorithm: algorithm.name, params: { ...algorithm.defaultParams }, ndcgAll, ndcgNew, score: (ndcgAll + ndcgNew) / 2, trainSeconds })
  }
  const best = results.reduce((a, b) => (b.score > a.score ? b : a))
  return { chosen: best.algorithm, cut, testUsers: split.test.size, candidates: results }
}
