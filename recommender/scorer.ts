// Scoring with a shop's trained model: on the calling thread (InlineScorer), or on threads of
// their own (ThreadScorer, scorer-thread.ts) so that a computed answer, about half a millisecond
// of arithmetic, neither holds up the API thread's other requests nor leaves a second core idle.
// Either way each holder loads a model once per version, from the store.
import type { Config } from '../core/config'
import { UnavailableError } from '../core/errors'
import type { Logger } from '../core/log'
import { shared } from '../core/single-flight'
import type { Store } from '../core/store/store'
import type { History, ScoredItem, TrainedModel } from './interface'
import { getRecommender } from './registry'
import { fillFrom } from './topk'

export interface Scored {
  items: ScoredItem[]
  algorithm: string
  /** The model version that scored: the one asked for, or a newer one. */
  version: number
}

export interface RecommendScoring {
  webshopId: string
  /** The least model version to score with. */
  version: number
  history: History
  limit: number
  /** Whether the user's own items may be returned. */
  includeSeen: boolean
}

export interface SimilarScoring {
  webshopId: string
  version: number
  itemId: string
  limit: number
}

export interface Scorer {
  /** null: the shop has no model (any more). */
  recommend(req: RecommendScoring): Promise<Scored | null>
  similar(req: SimilarScoring): Promise<Scored | null>
  /** Drops what is held for a deleted webshop. */
  forget(webshopId: string): void
  close(): Promise<void>
}

interface Held {
  version: number
  model: TrainedModel
}

/** Scores on the calling thread, with the models it loads itself. */
export class InlineScorer implements Scorer {
  private readonly models = new Map<string, Held>()
  private readonly loading = new Map<string, Promise<Held | null>>()

  constructor(private readonly store: Store) {}

  async recommend(req: RecommendScoring): Promise<Scored | null> {
    const held = await this.model(req.webshopId, req.version)
    if (!held) return null
    const exclude: ReadonlySet<string> = req.includeSeen ? new Set() : new Set(req.history.keys())
    return { items: held.model.recommend(req.history, { limit: req.limit, exclude }), algorithm: held.model.algorithm, version: held.version }
  }

  async similar(req: SimilarScoring): Promise<Scored | null> {
    const held = await this.model(req.webshopId, req.version)
    if (!held) return null
    const exclude = new Set([req.itemId])
    const linked = held.model.similar(req.itemId, { limit: req.limit, exclude })
    // Then what the model ranks for anyone, so an item without links still gets an answer.
    const items = fillFrom(linked, held.model.recommend(new Map(), { limit: req.limit + 1, exclude }).map((p) => ({ ...p, score: 0 })), req.limit, exclude)
    return { items, algorithm: held.model.algorithm, version: held.version }
  }

  forget(webshopId: string): void {
    this.models.delete(webshopId)
  }

  async close(): Promise<void> {
    this.models.clear()
  }

  private async model(webshopId: string, version: number): Promise<Held | null> {
    const held = this.models.get(webshopId)
    if (held && held.version >= version) return held
    return shared(this.loading, webshopId, () => this.load(webshopId))
  }

  private async load(webshopId: string): Promise<Held | null> {
    const record = await this.store.latestModel(webshopId)
    if (!record) {
      this.models.delete(webshopId)
      return null
    }
    const held = { version: record.version, model: getRecommender(record.algorithm).deserialize(record.artifact) }
    this.models.set(webshopId, held)
    return held
  }
}

/** What the main thread and a scoring thread say to each other. */
export type ScorerCall =
  | { setup: Config }
  | { id: number; recommend: RecommendScoring }
  | { id: number; similar: SimilarScoring }
  | { forget: string }
  | { close: true }
export type ScorerAnswer = { ready: true } | { closed: true } | { id: number; scored: Scored | null } | { id: number; error: string; transient: boolean }

interface Thread {
  worker: Worker
  ready: Promise<void>
  pending: Map<number, { resolve: (scored: Scored | null) => void; reject: (err: Error) => void }>
}

/**
 * Scores on `count` threads; each call goes to the thread with the fewest
 * in hand. A thread holds its own copy of each model it has scored with. If a thread fails, its
 * calls in hand are refused (503) and the next call starts another.
 */
export class ThreadScorer implements Scorer {
  private readonly threads: Thread[] = []
  private seq = 0
  private closed = false

  constructor(
    private readonly config: Config,
    private readonly count: number,
    private readonly log: Logger,
  ) {
    // Started now, not on the first request: a thread takes a moment to load its code and open
    // the store, and the first requests would all wait for it.
    for (let i = 0; i < count; i++) this.start()
  }

  recommend(req: RecommendScoring): Promise<Scored | null> {
    return this.call((id) => ({ id, recommend: req }))
  }

  similar(req: SimilarScoring): Promise<Scored | null> {
    return this.call((id) => ({ id, similar: req }))
  }

  forget(webshopId: string): void {
    for (const t of this.threads) t.worker.postMessage({ forget: webshopId } satisfies ScorerCall)
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(
      this.threads.splice(0).map(async (t) => {
        const closed = new Promise<void>((resolve) => t.worker.addEventListener('message', (e: MessageEvent<ScorerAnswer>) => 'closed' in e.data && resolve()))
        t.worker.postMessage({ close: true } satisfies ScorerCall)
        await Promise.race([closed, Bun.sleep(2_000)])
        t.worker.terminate()
        this.fail(t, new UnavailableError('recommendations are shutting down'))
      }),
    )
  }

  private async call(message: (id: number) => ScorerCall): Promise<Scored | null> {
    if (this.closed) throw new UnavailableError('recommendations are shutting down')
    const thread = this.pick()
    await thread.ready
    const id = ++this.seq
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject })
      thread.worker.postMessage(message(id))
    })
  }

  private pick(): Thread {
    if (this.threads.length < this.count) return this.start()
    return this.threads.reduce((best, t) => (t.pending.size < best.pending.size ? t : best))
  }

  private start(): Thread {
    const worker = new Worker(new URL('./scorer-thread.ts', import.meta.url).href)
    worker.unref()
    const thread: Thread = { worker, pending: new Map(), ready: Promise.resolve() }
    thread.ready = new Promise<void>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<ScorerAnswer>) => {
        const answer = e.data
        if ('ready' in answer) return resolve()
        if (!('id' in answer)) return
        const call = thread.pending.get(answer.id)
        if (!call) return
        thread.pending.delete(answer.id)
        // The store out of reach (a 503 on the calling side too), or a fault in scoring.
        if ('error' in answer) call.reject(answer.transient ? new UnavailableError(`the database is unavailable: ${answer.error}`) : new Error(answer.error))
        else call.resolve(answer.scored)
      }
      const lost = (why: string) => {
        const at = this.threads.indexOf(thread)
        if (at < 0) return
        this.threads.splice(at, 1)
        const failure = new UnavailableError(`recommendation thread stopped: ${why}`)
        reject(failure)
        this.fail(thread, failure)
        this.log.error('recommendation thread stopped; the next request starts another', { why })
      }
      worker.addEventListener('error', (e: ErrorEvent) => lost(e.message))
      worker.addEventListener('close', () => lost('thread ended'))
    })
    // A caller that never awaits `ready` (it failed before any call) must not be an unhandled rejection.
    thread.ready.catch(() => {})
    worker.postMessage({ setup: this.config } satisfies ScorerCall)
    this.threads.push(thread)
    return thread
  }

  private fail(thread: Thread, failure: Error): void {
    for (const call of thread.pending.values()) call.reject(failure)
    thread.pending.clear()
  }
}
