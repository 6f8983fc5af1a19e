// Fits a webshop's model from everything the store holds for it: the interactions are read here,
// the algorithm is chosen and fitted on a thread of its own (train-thread.ts).
import type { Store } from '../core/store/store'
import type { RawInteraction } from './dataset'
import type { FitReply } from './train-thread'
import type { Selection } from './selection'

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

function fitOnThread(interactions: RawInteraction[], onProgress: (stage: string) => void): Promise<Extract<FitReply, { type: 'done' }>> {
  const thread = new Worker(new URL('./train-thread.ts', import.meta.url).href)
  return new Promise<Extract<FitReply, { type: 'done' }>>((resolve, reject) => {
    thread.onmessage = (event: MessageEvent<FitReply>) => {
      const reply = event.data
      if (reply.type === 'progress') onProgress(reply.stage)
      else if (reply.type === 'done') resolve(reply)
      else reject(new Error(reply.message))
    }
    thread.onerror = (event) => reject(new Error(event.message))
    thread.postMessage({ interactions })
  }).finally(() => thread.terminate())
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
  // Progress updates are written in order, one at a time, while the thread works.
  let writes = Promise.resolve()
  const fitted = await fitOnThread(interactions, (stage) => {
    writes = writes.then(() => onProgress(stage)).catch(() => {})
  })
  await writes
  return {
    algorithm: fitted.algorithm,
    params: fitted.params,
    metrics: {
      users: fitted.users,
      items: fitted.items,
      interactions: interactions.length,
      trainSeconds: (performance.now() - started) / 1000,
      selection: fitted.selection,
    },
    artifact: fitted.artifact,
  }
}
