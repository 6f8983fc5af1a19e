// Embedded bus: a durable queue table in the same SQLite file as the store. A publish is one
// committed INSERT; consumers lease rows, delete them on ack and move them to dead_letters when
// they can never be processed. Leases carry the owner's pid so that a restarted process takes
// back at once what a killed one held (the embedded mode lives on one host by construction).
import type { Database } from 'bun:sqlite'
import { EventEmitter } from 'node:events'
import { UnavailableError } from '../errors'
import { withoutFsync } from '../sqlite'
import type { BatchHandler, Bus, ConsumeOptions, Message, Outcome, QueueName, Subscription } from './bus'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0,
  lease_pid INTEGER,
  enqueued_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue_messages (queue, lease_until, id);
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
  queue: QueueName
  body: Uint8Array
  resolve: () => void
  reject: (err: Error) => void
}

/** Most messages committed in one transaction. */
const GROUP_COMMIT_MAX = 1000

export class LocalBus implements Bus {
  private readonly signals = new EventEmitter()
  private pending: PendingPublish[] = []
  private commitScheduled = false
  private lastCommitAt = 0
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
  }

  async init(): Promise<void> {
    this.db.exec(SCHEMA)
    this.releaseLeasesOfDeadProcesses()
  }

  async close(): Promise<void> {
    this.closed = true
    this.signals.emit('close')
  }

  /**
   * Group commit: every publish of the same event-loop turn goes into one transaction, so one
   * fsync makes a whole burst of requests durable. Each caller resolves only after that commit,
   * and every caller of a failed commit is rejected (503), never answered 202.
   */
  publish(queue: QueueName, body: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new UnavailableError('queue is closed'))
    return new Promise((resolve, reject) => {
      this.pending.push({ queue, body, resolve, reject })
      if (!this.commitScheduled) {
        this.commitScheduled = true
        const wait = this.lastCommitAt + this.groupCommitMs - performance.now()
        if (wait > 0) setTimeout(() => this.commitPending(), wait)
        else setImmediate(() => this.commitPending())
      }
    })
  }

  private commitPending(): void {
    this.commitScheduled = false
    this.lastCommitAt = performance.now()
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, GROUP_COMMIT_MAX)
      try {
        const now = Date.now()
        const insert = this.db.query('INSERT INTO queue_messages (queue, body, enqueued_at) VALUES (:queue, :body, :now)')
        this.db.transaction(() => {
          for (const p of group) insert.run({ queue: p.queue, body: p.body, now })
        })()
      } catch (err) {
        const failure = new UnavailableError(`queue write failed: ${(err as Error).message}`)
        for (const p of group) p.reject(failure)
        continue
      }
      for (const p of group) p.resolve()
      for (const queue of new Set(group.map((p) => p.queue))) this.signals.emit(queue)
    }
  }

  async consume(queue: QueueName, handler: BatchHandler, options: ConsumeOptions): Promise<Subscription> {
    let stopping = false
    let wake: (() => void) | null = null
    const notify = () => wake?.()
    this.signals.on(queue, notify)
    this.signals.on('close', notify)
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => { wake = null; resolve() }, ms)
        wake = () => { clearTimeout(timer); wake = null; resolve() }
      })

    const loop = async () => {
      while (!stopping && !this.closed) {
        try {
          const rows = this.claim(queue, options.batchSize)
          if (rows.length === 0) {
            await sleep(this.pollMs)
            continue
          }
          if (rows.length < options.batchSize && options.lingerMs > 0) {
            await sleep(options.lingerMs)
            rows.push(...this.claim(queue, options.batchSize - rows.length))
          }
          await this.handle(queue, rows, handler)
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
        this.signals.off(queue, notify)
        this.signals.off('close', notify)
      },
    }
  }

  async broadcast(body: Uint8Array): Promise<void> {
    this.signals.emit('broadcast', body)
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

  private claim(queue: QueueName, limit: number): Row[] {
    const now = Date.now()
    const rows = withoutFsync(this.db, () =>
      this.db
        .query<Row, { q: string; now: number; until: number; pid: number; n: number }>(
          `UPDATE queue_messages SET lease_until = :until, lease_pid = :pid, attempts = attempts + 1
           WHERE id IN (SELECT id FROM queue_messages WHERE queue = :q AND lease_until <= :now ORDER BY lease_until, id LIMIT :n)
           RETURNING id, body, attempts`,
        )
        .all({ q: queue, now, until: now + this.leaseMs, pid: process.pid, n: limit }),
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
