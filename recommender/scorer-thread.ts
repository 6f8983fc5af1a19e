// A scoring thread of ThreadScorer (scorer.ts): an InlineScorer with a store connection of its own.
// Answers every call with its id; a failed call is answered with its error, the thread goes on.
import { openStore } from '../core/ports'
import { InlineScorer, type ScorerAnswer, type ScorerCall, type Scored } from './scorer'

declare const self: Worker

let scorer: InlineScorer | null = null
let isTransient: (err: unknown) => boolean = () => false
let closeStore: (() => Promise<void>) | null = null
const answer = (a: ScorerAnswer) => self.postMessage(a)

self.onmessage = async (e: MessageEvent<ScorerCall>) => {
  const call = e.data
  if ('setup' in call) {
    const opened = await openStore(call.setup)
    scorer = new InlineScorer(opened.store)
    isTransient = (err) => opened.store.isTransientError(err)
    closeStore = opened.close
    answer({ ready: true })
    return
  }
  if ('forget' in call) return scorer?.forget(call.forget)
  if ('close' in call) {
    await closeStore?.()
    answer({ closed: true })
    return
  }
  try {
    const scored: Scored | null = 'recommend' in call ? await scorer!.recommend(call.recommend) : await scorer!.similar(call.similar)
    answer({ id: call.id, scored })
  } catch (err) {
    answer({ id: call.id, error: (err as Error).message, transient: isTransient(err) })
  }
}
