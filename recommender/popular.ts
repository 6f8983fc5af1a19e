// MostPopular (every interaction counts its weight) and Trending (each event's weight halves every
// week before the newest event in the data; dataset.ts). The fallback for cold users.
import { decodeModel, encodeModel } from './codec'
import type { Dataset } from './dataset'
import type { History, NewInteraction, RecommendOptions, RecommenderInterface, ScoredItem, TrainedModel } from './interface'

export type PopularParams = Record<string, never>

export class PopularModel implements TrainedModel {
  private ranked: ScoredItem[] | null = null

  constructor(
    readonly algorithm: string,
    private readonly items: string[],
    private readonly scores: Float64Array,
  ) {}

  /** All items, most popular first, scores scaled so the top item has 1. */
  ranking(): ScoredItem[] {
    if (!this.ranked) {
      const order = [...this.scores.keys()].filter((i) => this.scores[i]! > 0)
      order.sort((a, b) => this.scores[b]! - this.scores[a]! || a - b)
      const top = order.length > 0 ? this.scores[order[0]!]! : 1
      this.ranked = order.map((i) => ({ itemId: this.items[i]!, score: this.scores[i]! / top }))
    }
    return this.ranked
  }

  recommend(_history: History, { limit, exclude }: RecommendOptions): ScoredItem[] {
    const out: ScoredItem[] = []
    for (const item of this.ranking()) {
      if (out.length >= limit) break
      if (!exclude.has(item.itemId)) out.push(item)
    }
    return out
  }

  similar(itemId: string, options: RecommendOptions): ScoredItem[] {
    return this.recommend(new Map(), { ...options, exclude: new Set([...options.exclude, itemId]) })
  }

  update(interactions: NewInteraction[]): PopularModel {
    const index = new Map(this.items.map((id, i) => [id, i]))
    const items = [...this.items]
    for (const e of interactions) {
      if (!index.has(e.itemId)) {
        index.set(e.itemId, items.length)
        items.push(e.itemId)
      }
    }
    const scores = new Float64Array(items.length)
    scores.set(this.scores)
    for (const e of interactions) if (e.weight > 0) scores[index.get(e.itemId)!]! += e.weight
    return new PopularModel(this.algorithm, items, scores)
  }

  serialize(): Uint8Array {
    return encodeModel({ algorithm: this.algorithm, items: this.items }, { scores: this.scores })
  }

  static decode(algorithm: string, bytes: Uint8Array): PopularModel {
    const { header, arrays } = decodeModel<{ items: string[] }>(bytes)
    return new PopularModel(algorithm, header.items, arrays.scores as Float64Array)
  }
}

/** Summed positive weight per item. */
export function popularityScores(data: Dataset): Float64Array {
  const scores = new Float64Array(data.items.length)
  for (let k = 0; k < data.colIdx.length; k++) scores[data.colIdx[k]!]! += data.values[k]!
  return scores
}

function popularRecommender(name: string, scores: (data: Dataset) => Float64Array): RecommenderInterface<PopularParams> {
  return {
    name,
    defaultParams: {},
    train: (data) => new PopularModel(name, data.items, scores(data)),
    deserialize: (bytes) => PopularModel.decode(name, bytes),
  }
}

export const MostPopular = popularRecommender('most_popular', popularityScores)
export const Trending = popularRecommender('trending', (data) => data.trend)
