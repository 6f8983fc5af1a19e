// EASE and iALS together: each ranks its candidates, scores are scaled by each model's best and
// added with a weight. The two err differently (item-item links against latent factors), so the
// blend beats either on OR-T/new (bun run eval).
import { decodeModel, encodeModel, nested, unnested } from './codec'
import type { Dataset } from './dataset'
import { Ease } from './ease'
import { Ials } from './ials'
import type { History, NewInteraction, RecommendOptions, RecommenderInterface, ScoredItem, TrainedModel } from './interface'

export interface HybridParams {
  /** Share of EASE in the blend; iALS has the rest. */
  easeWeight: number
}

/** How many candidates each part ranks before they are blended. */
const CANDIDATES = 100

function blend(parts: [ScoredItem[], number][], limit: number): ScoredItem[] {
  const scores = new Map<string, number>()
  for (const [ranked, weight] of parts) {
    const top = ranked[0]?.score || 1
    for (const { itemId, score } of ranked) scores.set(itemId, (scores.get(itemId) ?? 0) + weight * (score / top))
  }
  return [...scores]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([itemId, score]) => ({ itemId, score }))
}

export class HybridModel implements TrainedModel {
  readonly algorithm = 'ease+ials'

  constructor(
    private readonly ease: TrainedModel,
    private readonly ials: TrainedModel,
    private readonly params: HybridParams,
  ) {}

  recommend(history: History, options: RecommendOptions): ScoredItem[] {
    return this.blended((model, wide) => model.recommend(history, wide), options)
  }

  similar(itemId: string, options: RecommendOptions): ScoredItem[] {
    return this.blended((model, wide) => model.similar(itemId, wide), options)
  }

  /** Asks both parts for their wide candidate lists the same way and blends them. */
  private blended(rank: (model: TrainedModel, wide: RecommendOptions) => ScoredItem[], options: RecommendOptions): ScoredItem[] {
    const wide = { ...options, limit: Math.max(CANDIDATES, options.limit) }
    return blend(
      [
        [rank(this.ease, wide), this.params.easeWeight],
        [rank(this.ials, wide), 1 - this.params.easeWeight],
      ],
      options.limit,
    )
  }

  update(interactions: NewInteraction[]): HybridModel {
    return new HybridModel(this.ease.update(interactions), this.ials.update(interactions), this.params)
  }

  serialize(): Uint8Array {
    return encodeModel({ params: this.params }, { ease: nested(this.ease.serialize()), ials: nested(this.ials.serialize()) })
  }
}

export const Hybrid: RecommenderInterface<HybridParams> = {
  name: 'ease+ials',
  defaultParams: { easeWeight: 0.5 },
  train: (data: Dataset, params) => new HybridModel(Ease.train(data, Ease.defaultParams), Ials.train(data, Ials.defaultParams), params),
  deserialize(bytes) {
    const { header, arrays } = decodeModel<{ params: HybridParams }>(bytes)
    return new HybridModel(Ease.deserialize(unnested(arrays.ease)), Ials.deserialize(unnested(arrays.ials)), header.params)
  },
}
