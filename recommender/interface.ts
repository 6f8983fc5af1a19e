// "An abstract interface for integrating various recommender algorithms": each algorithm trains
// from a Dataset, and its trained model recommends from a user's live history, finds similar
// items, takes in new interactions, and serialises itself for the store.
import type { Dataset } from './dataset'

export interface ScoredItem {
  itemId: string
  score: number
}

/** A user's history as read at request time: interest per item (summed event weights) and last time. */
export type History = Map<string, { weight: number; lastSeen: number }>

export interface RecommendOptions {
  limit: number
  /** Items never to return (the user's seen items unless the caller asks for them). */
  exclude: ReadonlySet<string>
}

export interface NewInteraction {
  userId: string
  itemId: string
  weight: number
  timestamp: number
}

export interface TrainedModel {
  readonly algorithm: string
  recommend(history: History, options: RecommendOptions): ScoredItem[]
  /** Items like this one ("bought this, also bought"). */
  similar(itemId: string, options: RecommendOptions): ScoredItem[]
  /** A model that has also seen these interactions, without a full retrain where the algorithm allows. */
  update(interactions: NewInteraction[]): TrainedModel
  serialize(): Uint8Array
}

export interface RecommenderInterface<Params extends object = object> {
  readonly name: string
  readonly defaultParams: Params
  train(data: Dataset, params: Params): TrainedModel
  deserialize(bytes: Uint8Array): TrainedModel
}
