// Fits a webshop's model from everything the store holds for it: choose the algorithm on a
// holdout of the shop's own data (selection.ts), then refit the winner on all of it.
import type { Store } from '../core/store/store'
import { datasetFrom, type RawInteraction } from './dataset'
import { DEFAULT_ALGORITHM, getRecommender, registry } from './registry'
import { selectAlgorithm, type Selection } from './selection'

export interface TrainedArtifact {
  algorithm: string
  params: Record<string, unknown>
  metrics: { users: number; items: number; interactions: number; trainSeconds: number; selection: Selection }
  artifact: Uint8Array
}

const PAGE_SIZE = 5_000

export async function loadInteractions(store: Store, webshopId: string, weights: Record<string, number>): Promise<RawInteraction[]> {
  const out: RawInteraction[] = []
  for await (const page of store.interactions(webshopId, PAGE_SIZE)) {
    for (const e of page) {
      const weight = weights[e.type]
      if (weight) out.push({ userId: e.userId, itemId: e.itemId, weight, timestamp: e.timestamp.getTime() })
    }
  }
  return out
}

export async function trainWebshop(
  store: Store,
  webshopId: string,
  weights: Record<string, number>,
  onProgress: (stage: string) => Promise<void> | void = () => {},
): Promise<TrainedArtifact> {
  const started = performance.now()
  await onProgress('loading interactions')
  const interactions = await loadInteractions(store, webshopId, weights)
  const selection = await selectAlgorithm(interactions, [...registry.values()], DEFAULT_ALGORITHM, onProgress)
  await onProgress(`fitting ${selection.chosen} on all interactions`)
  const data = datasetFrom(interactions)
  const algorithm = getRecommender(selection.chosen)
  const params = { ...algorithm.defaultParams }
  const artifact = algorithm.train(data, params).serialize()
  return {
    algorithm: algorithm.name,
    params,
    metrics: {
      users: data.users.length,
      items: data.items.length,
      interactions: interactions.length,
      trainSeconds: (performance.now() - started) / 1000,
      selection,
    },
    artifact,
  }
}
