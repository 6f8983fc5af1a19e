// A buffered event sender for production: batches by size and time, retries what Aisle or the
// network could not take now (network errors, 429, 502–504) with backoff that honours
// Retry-After, and gives each event its eventId before the first try, so a retry never counts
// an event twice.
import type { AisleClient, ClientOptions } from './client'
import { createClient } from './client'

/** An event as `POST /events/` takes it. */
export type AisleEvent = Exclude<Parameters<AisleClient['events']['post']>[0], unknown[]>
/** An event as sent: id and time are always set. */
export type TrackedEvent = AisleEvent & { eventId: string; timestamp: string }

export interface TrackerOptions extends ClientOptions {
  apiKey: string
  /** Flush when this many events wait (at most 1,000, the API's batch limit). Default 500. */
  maxBatch?: number
  /** Flush this long after the first waiting event. Default 1,000 ms. */
  flushIntervalMs?: number
  /** Tries per batch before it is given up. Default 6. */
  maxAttempts?: number
  /** First retry delay; doubles each try, with jitter, capped at maxDelayMs. Default 250 ms. */
  baseDelayMs?: number
  maxDelayMs?: number
  /** Told about every batch that was given up, with the reason. */
  onDrop?: (events: TrackedEvent[], reason: string) => void
}

export interface FlushResult {
  delivered: number
  /** Events that were given up: rejected by Aisle (4xx) or out of attempts. */
  failed: { events: TrackedEvent[]; reason: string }[]
}

export interface Tracker {
  /** Buffers the event and returns the eventId it will carry. */
  track(event: AisleEvent): string
  /** Sends everything buffered now and waits for the outcome. */
  flush(): Promise<FlushResult>
  /** Flushes and stops the timer; tracking afterwards throws. */
  close(): Promise<FlushResult>
  /** Events buffered or in flight. */
  readonly pending: number
}

const RETRY_STATUS = new Set([429, 502, 503, 504])

export function createTracker(options: TrackerOptions): Tracker {
  const api = createClient(options)
  const maxBatch = Math.min(options.maxBatch ?? 500, 1000)
  const flushIntervalMs = options.flushIntervalMs ?? 1000
  const maxAttempts = options.maxAttempts ?? 6
  const baseDelayMs = options.baseDelayMs ?? 250
  const maxDelayMs = options.maxDelayMs ?? 30_000

  let buffer: TrackedEvent[] = []
  let inFlight = 0
  let timer: ReturnType<typeof setTimeout> | null = null
  let closed = false
  const sending = new Set<Promise<FlushResult>>()

  const send = async (batch: TrackedEvent[]): Promise<FlushResult> => {
    let reason = ''
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let retryAfterMs: number | null = null
      try {
        const res = await api.events.post(batch)
        if (res.status === 202) return { delivered: batch.length, failed: [] }
        if (!res.response) {
          // Eden reports a failed fetch as status 503 without a response.
          reason = `network: ${(res.error?.value as Error | undefined)?.message ?? 'request failed'}`
        } else {
          reason = `HTTP ${res.status}: ${JSON.stringify(res.error?.value ?? null)}`
          if (!RETRY_STATUS.has(res.status)) break
          retryAfterMs = parseRetryAfter(res.response.headers.get('retry-after'))
        }
      } catch (err) {
        reason = `network: ${(err as Error).message}`
      }
      if (attempt === maxAttempts) break
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4)
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs ?? backoff))
    }
    options.onDrop?.(batch, reason)
    return { delivered: 0, failed: [{ events: batch, reason }] }
  }

  const dispatch = (): Promise<FlushResult> => {
    if (timer) clearTimeout(timer)
    timer = null
    const batches: TrackedEvent[][] = []
    while (buffer.length > 0) batches.push(buffer.splice(0, maxBatch))
    const all = Promise.all(
      batches.map(async (batch) => {
        inFlight += batch.length
        try {
          return await send(batch)
        } finally {
          inFlight -= batch.length
        }
      }),
    ).then(merge)
    sending.add(all)
    void all.finally(() => sending.delete(all))
    return all
  }

  return {
    track(event) {
      if (closed) throw new Error('tracker is closed')
      const tracked = { ...event, eventId: event.eventId ?? crypto.randomUUID(), timestamp: event.timestamp ?? new Date().toISOString() } as TrackedEvent
      buffer.push(tracked)
      if (buffer.length >= maxBatch) void dispatch()
      else if (!timer) {
        timer = setTimeout(() => void dispatch(), flushIntervalMs)
        ;(timer as { unref?: () => void }).unref?.()
      }
      return tracked.eventId
    },
    async flush() {
      const now = dispatch()
      // Include batches already on their way, so flush() means "everything tracked so far".
      return merge(await Promise.all([now, ...[...sending].filter((p) => p !== now)]))
    },
    async close() {
      closed = true
      return this.flush()
    },
    get pending() {
      return buffer.length + inFlight
    },
  }
}

function merge(results: FlushResult[]): FlushResult {
  return { delivered: results.reduce((n, r) => n + r.delivered, 0), failed: results.flatMap((r) => r.failed) }
}

/** Retry-After in seconds or as an HTTP date → milliseconds. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}
