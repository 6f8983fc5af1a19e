// MostPopular, and Trending when given a half-life: each interaction counts its weight, decayed
// by its age relative to the newest interaction in the data. The fallback for cold users.
import { decodeModel, encodeModel } from './codec'
import type { Dataset } from './dataset'
import type { History, NewInteraction, RecommendOptions, RecommenderInterface, ScoredItem, TrainedModel } from './interface'

export interface PopularParams {
  /** Days after which an interaction counts half; 0 means no decay. */
  halfLifeDays: number
}

const DAY_MS = 86_400_000

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
}

export function popularityScores(data: Dataset, halfLifeDays: number): Float64Array {
  const scores = new Float64Array(data.items.length)
  let newest = 0
  for (const t of data.lastSeen) if (t > newest) newest = t
  const lambda = halfLifeDays > 0 ? Math.LN2 / (halfLifeDays * DAY_MS) : 0
  for (let k = 0; k < data.colIdx.length; k++) {
    const decay = lambda > 0 ? Math.exp(-lambda * (newest - data.lastSeen[k]!)) : 1
    scores[data.colIdx[k]!]! += data.values[k]! * decay
  }
  return scores
}

function popularRecommender(name: string, defaultParams: PopularParams): RecommenderInterface<PopularParams> {
  return {
    name,
    defaultParams,
    train: (data, params) => new PopularModel(name, data.items, popularityScores(data, params.halfLifeDays)),
    deserialize: (bytes) => {
      const { header, arrays } = decodeModel<{ items: string[] }>(bytes)
      return new PopularModel(name, header.items, arrays.scores as Float64Array)
    },
  }
}

export const MostPopular = popularRecommender('most_popular', { halfLifeDays: 0 })
export const Trending = popularRecommender('trending', { halfLifeDays: 14 })
