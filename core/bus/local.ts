// Embedded bus: a durable queue table in a SQLite file of its own (queue.sqlite, beside the
// store's file, so that the worker's long store transactions never hold up a publish). A publish
// is one committed INSERT; consumers lease rows, delete them on ack and move them to dead_letters
// when they can never be processed. Leases carry the owner's pid so that a restarted process
// takes back at once what a killed one held (the embedded mode lives on one host by
// construction). Threads of one process hear each other's publishes and broadcasts at once over a
// BroadcastChannel named after the file; other processes find new messages by polling.
import type { Database } from 'bun:sqlite'
import { EventEmitter } from 'node:events'
import { resolve } from 'node:path'
import { UnavailableError } from '../errors'
import { withoutFsync } from '../sqlite'
import type { BatchHandler, Bus, ConsumeOptions, Message, Outcome, QueueName, Subscription } from './bus'
import type { CommitAnswer, CommitRequest, CommitSetup } from './commit-thread'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  size INTEGER NOT NULL,
  body BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0,
  lease_pid INTEGER,
  enqueued_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue_messages (queue, lease_until, id, size);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  dead_at INTEGER NOT NULL
);
`

export interface LocalBusOptions {
  /** How long a consumer may hold a batch before another may take it. */
  leaseMs?: number
  /** Idle poll interval, for messages published by another process. */
  pollMs?: number
  /** Deliveries before a message that keeps failing is set aside. */
  maxAttempts?: number
  /**
   * Least time between two group commits (ms). Under load a commit waits out the rest of this
   * window after the previous one, so one fsync serves more requests; an isolated request is
   * committed at once.
   */
  groupCommitMs?: number
  /** Told about failures of the consuming loop, which then pauses and goes on. */
  onError?: (err: unknown) => void
}

interface Row {
  id: number
  body: Uint8Array
  attempts: number
}

interface PendingPublish {
  seq: number
  resolve: () => void
  reject: (err: Error) => void
}

/** Least time between two signals of one queue to the other threads. */
const SIGNAL_MS = 5

/** What threads sharing the file tell each other. */
type Signal = { queue: QueueName } | { broadcast: Uint8Array }

export class LocalBus implements Bus {
  private readonly signals = new EventEmitter()
  private readonly channel: BroadcastChannel
  private readonly signalTimers = new Map<QueueName, ReturnType<typeof setTimeout>>()
  private readonly signalsMissed = new Set<QueueName>()
  /** Publishes sent to the commit thread and not answered yet, in order. */
  private readonly pending: PendingPublish[] = []
  private committer: Worker | null = null
  private seq = 0
  private readonly groupCommitMs: number
  private readonly onError: (err: unknown) => void
  private readonly leaseMs: number
  private readonly pollMs: number
  private readonly maxAttempts: number
  private closed = false

  constructor(
    private readonly db: Database,
    options: LocalBusOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 60_000
    this.pollMs = options.pollMs ?? 200
    this.maxAttempts = options.maxAttempts ?? 20
    this.groupCommitMs = options.groupCommitMs ?? 0
    this.onError = options.onError ?? (() => {})
    this.signals.setMaxListeners(0)
    this.channel = new BroadcastChannel(`aisle-queue:${resolve(db.filename)}`)
    this.channel.onmessage = (e) => this.hear(e.data as Signal)
    this.channel.unref()
  }

  async init(): Promise<void> {
    this.db.exec(SCHEMA)
    this.releaseLeasesOfDeadProcesses()
  }

  async close(): Promise<void> {
    this.closed = true
    // Publishes already handed over are answered before the thread goes.
    for (let waited = 0; this.pending.length > 0 && waited < 10_000; waited += 10) await Bun.sleep(10)
    this.committer?.terminate()
    this.committer = null
    this.channel.close()
    this.signals.emit('close')
  }

  /**
   * Moves the messages of a queue table left in another file (the store's file held the queue
   * before it had one of its own) into this one. Copied first, then removed there: a crash in
   * between only means a redelivery, which consumers make harmless.
   */
  adoptMessagesFrom(old: Database): number {
    const exists = old.query<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'queue_messages'").get()!.n
    if (exists === 0) return 0
    const rows = old.query<{ queue: QueueName; body: Uint8Array }, []>('SELECT queue, body FROM queue_messages ORDER BY id').all()
    const insert = this.db.query('INSERT INTO queue_messages (queue, size, body, enqueued_at) VALUES (:queue, :size, :body, :now)')
    this.db.transaction(() => {
      for (const r of rows) insert.run({ queue: r.queue, size: r.body.byteLength, body: r.body, now: Date.now() })
    })()
    old.run('DROP TABLE queue_messages')
    return rows.length
  }

  private hear(signal: Signal): void {
    if ('queue' in signal) this.signals.emit(signal.queue)
    else this.signals.emit('broadcast', signal.broadcast)
  }

  /** To this thread's listeners and to every other thread with the file open. */
  private tell(signal: Signal): void {
    this.hear(signal)
    if (this.closed) return
    if ('queue' in signal) this.signalOtherThreads(signal.queue)
    else this.channel.postMessage(signal)
  }

  /**
   * Other threads need the news only to wake an idle consumer, and each message to them costs a
   * cross-thread hand-off: at most one per queue per SIGNAL_MS, the last one never dropped.
   */
  private signalOtherThreads(queue: QueueName): void {
    if (this.signalTimers.has(queue)) {
      this.signalsMissed.add(queue)
      return
    }
    this.channel.postMessage({ queue } satisfies Signal)
    const timer = setTimeout(() => {
      this.signalTimers.delete(queue)
      if (this.signalsMissed.delete(queue) && !this.closed) this.signalOtherThreads(queue)
    }, SIGNAL_MS)
    timer.unref()
    this.signalTimers.set(queue, timer)
  }

  /**
   * Group commit, on a thread of its own (commit-thread.ts): publishes that arrive while a commit
   * waits for its fsync go into the next transaction together, so one fsync makes a whole burst
   * of requests durable while this thread goes on serving. Each caller resolves only after its
   * commit, and every caller of a failed commit is rejected (503), never answered 202.
   */
  publish(queue: QueueName, body: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new UnavailableError('queue is closed'))
    const committer = this.committer ?? this.startCommitter()
    const seq = ++this.seq
    return new Promise((resolve, reject) => {
      this.pending.push({ seq, resolve, reject })
      committer.postMessage({ seq, queue, body } satisfies CommitRequest)
    })
  }

  private startCommitter(): Worker {
    const committer = new Worker(new URL('./commit-thread.ts', import.meta.url).href)
    committer.unref()
    committer.postMessage({ file: this.db.filename, groupCommitMs: this.groupCommitMs } satisfies CommitSetup)
    committer.onmessage = (e: MessageEvent<CommitAnswer>) => this.answered(e.data)
    const lost = (why: string) => {
      if (this.committer !== committer) return
      // The next publish starts a new thread; what this one had not answered is refused (503).
      this.committer = null
      const failure = new UnavailableError(`queue writer stopped: ${why}`)
      for (const p of this.pending.splice(0)) p.reject(failure)
      this.onError(failure)
    }
    committer.addEventListener('error', (e: ErrorEvent) => lost(e.message))
    committer.addEventListener('close', () => lost('thread ended'))
    this.committer = committer
    return committer
  }

  private answered(answer: CommitAnswer): void {
    const failure = 'error' in answer ? new UnavailableError(`queue write failed: ${answer.error}`) : null
    while (this.pending.length > 0 && this.pending[0]!.seq <= answer.through) {
      const p = this.pending.shift()!
      if (failure) p.reject(failure)
      else p.resolve()
    }
    if (!('error' in answer)) for (const queue of answer.queues) this.tell({ queue })
  }

  async consume(queue: QueueName, handler: BatchHandler, options: ConsumeOptions): Promise<Subscription> {
    let stopping = false
    let wake: (() => void) | null = null
    // A publish wakes only an idle consumer; one that lingers to fill its batch lingers on, or
    // every commit would cut the linger short and the batches would stay small.
    let idle = false
    const heard = () => {
      if (idle) wake?.()
    }
    const notify = () => wake?.()
    this.signals.on(queue, heard)
    this.signals.on('close', notify)
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => { wake = null; resolve() }, ms)
        wake = () => { clearTimeout(timer); wake = null; resolve() }
      })

    const loop = async () => {
      while (!stopping && !this.closed) {
        try {
          const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER
          const rows = this.claim(queue, options.batchSize, maxBytes)
          if (rows.length === 0) {
            idle = true
            await sleep(this.pollMs)
            idle = false
            continue
          }
          const bytes = () => rows.reduce((n, r) => n + r.body.byteLength, 0)
          if (rows.length < options.batchSize && bytes() < maxBytes && options.lingerMs > 0) {
            await sleep(options.lingerMs)
            rows.push(...this.claim(queue, options.batchSize - rows.length, maxBytes - bytes()))
          }
          await this.handle(queue, rows, handler)
          // SQLite calls are synchronous, so the awaits above settle at once and, with a backlog,
          // this loop would run from one batch to the next without ever letting the thread's
          // timers and messages in: a stop request, another queue's consumer, a broadcast.
          await new Promise<void>((resolve) => setImmediate(resolve))
        } catch (err) {
          // The file is busy or failing (another process holds the write lock too long, a full
          // disk): what was claimed comes back when its lease ends. Pause, then go on.
          if (this.closed || stopping) return
          this.onError(err)
          await sleep(1_000)
        }
      }
    }
    const running = loop()
    return {
      stop: async () => {
        stopping = true
        notify()
        await running
        this.signals.off(queue, heard)
        this.signals.off('close', notify)
      },
    }
  }

  async broadcast(body: Uint8Array): Promise<void> {
    this.tell({ broadcast: body })
  }

  async subscribeBroadcast(handler: (body: Uint8Array) => void): Promise<Subscription> {
    this.signals.on('broadcast', handler)
    return { stop: async () => void this.signals.off('broadcast', handler) }
  }

  async stats(queue: QueueName): Promise<{ ready: number; dead: number }> {
    const ready = this.db
      .query<{ n: number }, { q: string; now: number }>('SELECT count(*) AS n FROM queue_messages WHERE queue = :q AND lease_until <= :now')
      .get({ q: queue, now: Date.now() })!.n
    const dead = this.db.query<{ n: number }, { q: string }>('SELECT count(*) AS n FROM dead_letters WHERE queue = :q').get({ q: queue })!.n
    return { ready, dead }
  }

  /** At most `limit` messages, and no more after the one that reaches `maxBytes` (at least one). */
  private claim(queue: QueueName, limit: number, maxBytes: number): Row[] {
    const now = Date.now()
    const rows = withoutFsync(this.db, () =>
      this.db
        .query<Row, { q: string; now: number; until: number; pid: number; n: number; bytes: number }>(
          `UPDATE queue_messages SET lease_until = :until, lease_pid = :pid, attempts = attempts + 1
           WHERE id IN (
             SELECT id FROM (
               SELECT id, sum(size) OVER (ORDER BY lease_until, id) - size AS before FROM (
                 SELECT id, size, lease_until FROM queue_messages WHERE queue = :q AND lease_until <= :now
                 ORDER BY lease_until, id LIMIT :n))
             WHERE before < :bytes)
           RETURNING id, body, attempts`,
        )
        .all({ q: queue, now, until: now + this.leaseMs, pid: process.pid, n: limit, bytes: maxBytes }),
    )
    // Index order (lease_until, id): new messages in publish order, then expired leases; no sort
    // of the whole backlog per claim.
    rows.sort((a, b) => a.id - b.id)
    const exhausted = rows.filter((r) => r.attempts > this.maxAttempts)
    if (exhausted.length > 0) this.settle(queue, exhausted, exhausted.map(() => 'dead'), 'too many failed attempts')
    return rows.filter((r) => r.attempts <= this.maxAttempts)
  }

  private async handle(queue: QueueName, rows: Row[], handler: BatchHandler): Promise<void> {
    const messages: Message[] = rows.map((r) => ({ body: new Uint8Array(r.body), redelivered: r.attempts > 1 }))
    let outcomes: Outcome[]
    try {
      outcomes = await handler(messages)
    } catch {
      // Not now: make the batch visible again after a pause that grows with its attempts.
      const backoff = Math.min(30_000, 100 * 2 ** Math.min(rows[0]!.attempts, 8))
      withoutFsync(this.db, () =>
        this.db
          .query('UPDATE queue_messages SET lease_until = :until, lease_pid = NULL WHERE id IN (SELECT value FROM json_each(:ids))')
          .run({ until: Date.now() + backoff, ids: JSON.stringify(rows.map((r) => r.id)) }),
      )
      return
    }
    this.settle(queue, rows, outcomes, 'rejected by consumer')
  }

  private settle(queue: QueueName, rows: Row[], outcomes: Outcome[], reason: string): void {
    // A lost ack only means a redelivery, which the consumer makes harmless.
    withoutFsync(this.db, this.db.transaction(() => {
      const remove = this.db.query('DELETE FROM queue_messages WHERE id = :id')
      const bury = this.db.query(
        'INSERT INTO dead_letters (id, queue, body, attempts, reason, dead_at) VALUES (:id, :queue, :body, :attempts, :reason, :now)',
      )
      rows.forEach((row, i) => {
        if (outcomes[i] === 'dead') bury.run({ id: row.id, queue, body: row.body, attempts: row.attempts, reason, now: Date.now() })
        remove.run({ id: row.id })
      })
    }))
  }

  private releaseLeasesOfDeadProcesses(): void {
    const owners = this.db.query<{ pid: number }, []>('SELECT DISTINCT lease_pid AS pid FROM queue_messages WHERE lease_pid IS NOT NULL').all()
    for (const { pid } of owners) {
      if (pid !== process.pid && isAlive(pid)) continue
      this.db.query('UPDATE queue_messages SET lease_until = 0, lease_pid = NULL WHERE lease_pid = :pid').run({ pid })
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
