// A model of weighted item-item links: item i's top-k neighbours j with a weight each, from
// ItemKNN (cosine similarity) or EASE (its learned item-item matrix, pruned to the top k per
// row). A user's score for j is the sum over their history of interest(i) × weight(i, j);
// where seen items may be returned, the user's own items also count by their interest, because
// customers re-buy. Items the links do not reach are filled in by popularity.
import { decodeModel, encodeModel } from './codec'
import type { History, NewInteraction, RecommendOptions, ScoredItem, TrainedModel } from './interface'
import { PopularModel } from './popular'
import { fillFrom, topK } from './topk'

/**
 * Among a user's own items, the recently taken count a little more: a bonus of 0.3 for an item
 * taken at the user's latest moment, decaying over 90 days. Chosen on OR-T/all (bun run eval:
 * NDCG@10 0.345 → 0.355 for EASE; 30 and 180 days, 0.2 to 1 were tried).
 */
const RECENCY_BONUS = 0.3
const RECENCY_MS = 90 * 86_400_000

/** How much one item in a user's history counts: a tenth purchase says less than the first. */
export const interest = (weight: number) => Math.log1p(Math.max(0, weight))

export class ItemItemModel implements TrainedModel {
  private readonly index: Map<string, number>

  constructor(
    readonly algorithm: string,
    private readonly items: string[],
    private readonly k: number,
    /** Item i's neighbours are neighbours[i*k .. i*k+k), -1 where it has fewer. */
    private readonly neighbours: Int32Array,
    private readonly sims: Float32Array,
    private readonly popular: PopularModel,
    private readonly repeatWeight: number,
    /** Score with 1 per history item (as EASE is trained) rather than with its interest. */
    private readonly binary = false,
  ) {
    this.index = new Map(items.map((id, i) => [id, i]))
  }

  recommend(history: History, options: RecommendOptions): ScoredItem[] {
    const scores = new Map<number, number>()
    for (const [itemId, { weight }] of history) {
      const i = this.index.get(itemId)
      if (i === undefined || weight <= 0) continue
      const w = this.binary ? 1 : interest(weight)
      for (let n = i * this.k, end = n + this.k; n < end; n++) {
        const j = this.neighbours[n]!
        if (j < 0) break
        scores.set(j, (scores.get(j) ?? 0) + w * this.sims[n]!)
      }
    }
    // Both parts scaled to at most 1 (plus the recency bonus) before they are added.
    let topScore = 0
    for (const v of scores.values()) topScore = Math.max(topScore, v)
    let topOwn = 0
    let newest = 0
    for (const { weight, lastSeen } of history.values()) {
      topOwn = Math.max(topOwn, interest(weight))
      newest = Math.max(newest, lastSeen)
    }
    if (topScore > 0) for (const [j, v] of scores) scores.set(j, v / topScore)
    if (topOwn > 0) {
      for (const [itemId, { weight, lastSeen }] of history) {
        const j = this.index.get(itemId)
        if (j === undefined || weight <= 0 || options.exclude.has(itemId)) continue
        const recency = RECENCY_BONUS * Math.exp(-(newest - lastSeen) / RECENCY_MS)
        scores.set(j, (scores.get(j) ?? 0) + this.repeatWeight * (interest(weight) / topOwn + recency))
      }
    }
    const ranked = topK(scores, options.limit, this.items, options.exclude)
    return fillFrom(ranked, this.popular.recommend(history, { limit: options.limit + history.size, exclude: options.exclude }).map((p) => ({ ...p, score: 0 })), options.limit, options.exclude)
  }

  similar(itemId: string, options: RecommendOptions): ScoredItem[] {
    const i = this.index.get(itemId)
    if (i === undefined) return []
    const candidates: [number, number][] = []
    for (let n = i * this.k, end = n + this.k; n < end && this.neighbours[n]! >= 0; n++) candidates.push([this.neighbours[n]!, this.sims[n]!])
    return topK(candidates, options.limit, this.items, new Set([...options.exclude, itemId]))
  }

  /** Neighbourhoods change only on retraining; popularity takes new interactions at once. */
  update(interactions: NewInteraction[]): ItemItemModel {
    return new ItemItemModel(this.algorithm, this.items, this.k, this.neighbours, this.sims, this.popular.update(interactions), this.repeatWeight, this.binary)
  }

  serialize(): Uint8Array {
    const popular = this.popular.serialize()
    return encodeModel(
      { algorithm: this.algorithm, items: this.items, k: this.k, repeatWeight: this.repeatWeight, binary: this.binary },
      { neighbours: this.neighbours, sims: this.sims, popular: new Uint32Array(popular.buffer, popular.byteOffset, popular.byteLength / 4) },
    )
  }
}

export function deserializeItemItem(bytes: Uint8Array): ItemItemModel {
  const { header, arrays } = decodeModel<{ algorithm: string; items: string[]; k: number; repeatWeight: number; binary: boolean }>(bytes)
  const popularWords = arrays.popular as Uint32Array
  const { header: ph, arrays: pa } = decodeModel<{ items: string[] }>(new Uint8Array(popularWords.buffer, popularWords.byteOffset, popularWords.byteLength))
  return new ItemItemModel(
    header.algorithm,
    header.items,
    header.k,
    arrays.neighbours as Int32Array,
    arrays.sims as Float32Array,
    new PopularModel('most_popular', ph.items, pa.scores as Float64Array),
    header.repeatWeight,
    header.binary,
  )
}
