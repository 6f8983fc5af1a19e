// Fits a webshop's model from everything the store holds for it.
import type { Store } from '../core/store/store'
import { DatasetBuilder } from './dataset'
import { getRecommender } from './registry'

export interface TrainedArtifact {
  algorithm: string
  params: Record<string, unknown>
  metrics: Record<string, unknown>
  artifact: Uint8Array
}

const PAGE_SIZE = 5_000

export async function trainWebshop(store: Store, webshopId: string, weights: Record<string, number>, algorithmName: string): Promise<TrainedArtifact> {
  const started = performance.now()
  const builder = new DatasetBuilder()
  await builder.addPages(store.interactions(webshopId, PAGE_SIZE), weights)
  const data = builder.build()
  const loaded = performance.now()
  const algorithm = getRecommender(algorithmName)
  const params = { ...algorithm.defaultParams }
  const artifact = algorithm.train(data, params).serialize()
  return {
    algorithm: algorithm.name,
    params,
    metrics: {
      users: data.users.length,
      items: data.items.length,
      interactions: data.colIdx.length,
      loadSeconds: (loaded - started) / 1000,
      trainSeconds: (performance.now() - loaded) / 1000,
    },
    artifact,
  }
}
