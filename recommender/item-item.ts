// A model of weighted item-item links: item i's top-k neighbours j with a weight each, from
// ItemKNN (cosine similarity) or EASE (its learned item-item matrix, pruned to the top k per
// row). A user's score for j is the sum over their history of interest(i) × weight(i, j);
// where seen items may be returned, the user's own items also count by their interest, because
// customers re-buy. Items the links do not reach are filled in by popularity.
import { decodeModel, encodeModel, nested, unnested } from './codec'
import type { History, NewInteraction, RecommendOptions, ScoredItem, TrainedModel } from './interface'
import { PopularModel } from './popular'
import { fillFrom, topK, topKOf } from './topk'

/**
 * Among a user's own items, the recently taken count a little more: a bonus of 0.3 for an item
 * taken at the user's latest moment, decaying over 90 days. Chosen on OR-T/all (bun run eval:
 * NDCG@10 0.345 → 0.355 for EASE; 30 and 180 days, 0.2 to 1 were tried).
 */
const RECENCY_BONUS = 0.3
const RECENCY_MS = 90 * 86_400_000

/**
 * acc[j] += w × sim for item i's links (the hot loop of a request), listing each item it touches
 * for the first time in `touched` after the `count` already there; returns the new count.
 */
function accumulate(links: Int32Array, sims: Float32Array, start: number, k: number, w: number, acc: Float64Array, mark: Uint8Array, touched: Int32Array, count: number): number {
  for (let p = start, end = start + k; p < end; p++) {
    const j = links[p]!
    if (j < 0) break
    if (mark[j] === 0) {
      mark[j] = 1
      touched[count++] = j
    }
    acc[j] = acc[j]! + w * sims[p]!
  }
  return count
}

/**
 * The user's own items that may be returned, each with how much the user wanted it (its
 * interest over the strongest one, 0–1) plus the recency bonus. Customers re-buy.
 */
export function ownItemBoosts(history: History, index: Map<string, number>, exclude: ReadonlySet<string>): [number, number][] {
  let topOwn = 0
  let newest = 0
  for (const { weight, lastSeen } of history.values()) {
    topOwn = Math.max(topOwn, interest(weight))
    newest = Math.max(newest, lastSeen)
  }
  const out: [number, number][] = []
  if (topOwn === 0) return out
  for (const [itemId, { weight, lastSeen }] of history) {
    const j = index.get(itemId)
    if (j === undefined || weight <= 0 || exclude.has(itemId)) continue
    out.push([j, interest(weight) / topOwn + RECENCY_BONUS * Math.exp(-(newest - lastSeen) / RECENCY_MS)])
  }
  return out
}

/** How much one item in a user's history counts: a tenth purchase says less than the first. */
export const interest = (weight: number) => Math.log1p(Math.max(0, weight))

export class ItemItemModel implements TrainedModel {
  private readonly index: Map<string, number>
  private scratch: Float64Array | null = null
  private marks: Uint8Array | null = null
  private touchedScratch: Int32Array | null = null

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
    // Scores accumulate in a dense scratch array (reused: requests run one at a time on this
    // thread), with the touched items listed so that only they are read and reset.
    const n = this.items.length
    const acc = (this.scratch ??= new Float64Array(n))
    const mark = (this.marks ??= new Uint8Array(n))
    const all = (this.touchedScratch ??= new Int32Array(n))
    let count = 0
    for (const [itemId, { weight }] of history) {
      const i = this.index.get(itemId)
      if (i === undefined || weight <= 0) continue
      count = accumulate(this.neighbours, this.sims, i * this.k, this.k, this.binary ? 1 : interest(weight), acc, mark, all, count)
    }
    // Both parts scaled to at most 1 (plus the recency bonus) before they are added.
    let topScore = 0
    for (let t = 0; t < count; t++) topScore = Math.max(topScore, acc[all[t]!]!)
    const scale = topScore > 0 ? 1 / topScore : 1
    for (let t = 0; t < count; t++) acc[all[t]!]! *= scale
    for (const [j, boost] of ownItemBoosts(history, this.index, options.exclude)) {
      if (mark[j] === 0) {
        mark[j] = 1
        all[count++] = j
      }
      acc[j]! += this.repeatWeight * boost
    }
    const ranked = this.best(all.subarray(0, count), acc, mark, options)
    if (ranked.length >= options.limit) return ranked
    return fillFrom(ranked, this.popular.recommend(history, { limit: options.limit + history.size, exclude: options.exclude }).map((p) => ({ ...p, score: 0 })), options.limit, options.exclude)
  }

  /** The `limit` best touched items, highest score first (ties by index); resets the scratch. */
  private best(touched: Int32Array, acc: Float64Array, mark: Uint8Array, { limit, exclude }: RecommendOptions): ScoredItem[] {
    const ranked = topKOf(acc, touched, limit, this.items, exclude)
    for (let t = 0; t < touched.length; t++) {
      const j = touched[t]!
      acc[j] = 0
      mark[j] = 0
    }
    return ranked
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
    return encodeModel(
      { algorithm: this.algorithm, items: this.items, k: this.k, repeatWeight: this.repeatWeight, binary: this.binary },
      { neighbours: this.neighbours, sims: this.sims, popular: nested(this.popular.serialize()) },
    )
  }
}

export function deserializeItemItem(bytes: Uint8Array): ItemItemModel {
  const { header, arrays } = decodeModel<{ algorithm: string; items: string[]; k: number; repeatWeight: number; binary: boolean }>(bytes)
  return new ItemItemModel(
    header.algorithm,
    header.items,
    header.k,
    arrays.neighbours as Int32Array,
    arrays.sims as Float32Array,
    PopularModel.decode('trending', unnested(arrays.popular)),
    header.repeatWeight,
    header.binary,
  )
}
