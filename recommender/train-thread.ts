// The CPU-heavy part of training, on a thread of its own so the process that runs it (the
// worker, or `bun run dev` with the API in it) keeps answering while a model is fitted.
import { datasetFrom, type RawInteraction } from './dataset'
import { DEFAULT_ALGORITHM, getRecommender, registry } from './registry'
import { selectAlgorithm, type Selection } from './selection'

export interface FitRequest {
  interactions: RawInteraction[]
}

export type FitReply =
  | { type: 'progress'; stage: string }
  | { type: 'done'; algorithm: string; params: Record<string, unknown>; users: number; items: number; selection: Selection; artifact: Uint8Array }
  | { type: 'error'; message: string }

/** Chooses the algorithm on a holdout, then fits it on everything. */
export async function fit(interactions: RawInteraction[], progress: (stage: string) => void): Promise<Extract<FitReply, { type: 'done' }>> {
  const selection = await selectAlgorithm(interactions, [...registry.values()], DEFAULT_ALGORITHM, progress)
  progress(`fitting ${selection.chosen} on all interactions`)
  const data = datasetFrom(interactions)
  const algorithm = getRecommender(selection.chosen)
  const params = { ...algorithm.defaultParams }
  const artifact = algorithm.train(data, params).serialize()
  return { type: 'done', algorithm: algorithm.name, params, users: data.users.length, items: data.items.length, selection, artifact }
}

declare const self: Worker
if (typeof self !== 'undefined' && !Bun.isMainThread) {
  self.onmessage = async (event: MessageEvent<FitRequest>) => {
    try {
      const done = await fit(event.data.interactions, (stage) => self.postMessage({ type: 'progress', stage } satisfies FitReply))
      self.postMessage(done, [done.artifact.buffer as ArrayBuffer])
    } catch (err) {
      self.postMessage({ type: 'error', message: (err as Error).message } satisfies FitReply)
    }
  }
}
