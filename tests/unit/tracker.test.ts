// The buffered sender against a scripted HTTP server on loopback (real HTTP, no network mocks):
// batching by size and time, retries that keep eventIds, Retry-After, giving up cleanly.
import { afterEach, expect, test } from 'bun:test'
import { createTracker, parseRetryAfter, type TrackedEvent } from '../../client/src/index'

interface Scripted {
  url: string
  bodies: TrackedEvent[][]
  times: number[]
  stop(): void
}
const servers: Scripted[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.stop()
})

/** Answers each POST /events with the next scripted response (the last one repeats). */
function scriptedServer(script: (() => Response)[]): Scripted {
  const bodies: TrackedEvent[][] = []
  const times: number[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = await req.json()
      bodies.push(Array.isArray(body) ? body : [body])
      times.push(Date.now())
      expect(req.headers.get('x-api-key')).toBe('aisle_key')
      return script[Math.min(bodies.length - 1, script.length - 1)]!()
    },
  })
  const s = { url: `http://127.0.0.1:${server.port}`, bodies, times, stop: () => server.stop(true) }
  servers.push(s)
  return s
}

const accepted = () => Response.json({ accepted: 1 }, { status: 202 })
const event = (n: number) => ({ type: 'view' as const, user: { id: `u${n}` }, item: { id: `i${n}` } })

test('flushes by size: a full batch goes at once, in one request', async () => {
  const server = scriptedServer([accepted])
  const tracker = createTracker({ baseUrl: server.url, apiKey: 'aisle_key', maxBatch: 3, flushIntervalMs: 60_000 })
  for (let n = 0; n < 7; n++) tracker.track(event(n))
  const result = await tracker.close()
  // Batches travel concurrently, so they may arrive in any order.
  expect(server.bodies.map((b) => b.length).sort()).toEqual([1, 3, 3])
  expect(result).toEqual({ delivered: 7, failed: [] })
  expect(tracker.pending).toBe(0)
})

test('flushes by time when the batch does not fill', async () => {
  const server = scriptedServer([accepted])
  const tracker = createTracker({ baseUrl: server.url, apiKey: 'aisle_key', maxBatch: 100, flushIntervalMs: 50 })
  const started = Date.now()
  tracker.track(event(1))
  tracker.track(event(2))
  while (server.bodies.length === 0 && Date.now() - started < 2_000) await Bun.sleep(5)
  expect(server.bodies).toHaveLength(1)
  expect(server.bodies[0]).toHaveLength(2)
  expect(server.times[0]! - started).toBeGreaterThanOrEqual(45)
  await tracker.close()
})

test('retries 503 and 429 with the same eventIds, honouring Retry-After', async () => {
  const server = scriptedServer([
    () => Response.json({ error: { code: 'unavailable', message: 'x' } }, { status: 503, headers: { 'retry-after': '0' } }),
    () => Response.json({ error: { code: 'rate_limited', message: 'x' } }, { status: 429, headers: { 'retry-after': '0.2' } }),
    accepted,
  ])
  const tracker = createTracker({ baseUrl: server.url, apiKey: 'aisle_key', baseDelayMs: 5_000 })
  const id = tracker.track(event(1))
  tracker.track({ ...event(2), eventId: 'mine' })
  const result = await tracker.flush()
  expect(result.delivered).toBe(2)
  expect(server.bodies).toHaveLength(3)
  for (const body of server.bodies) expect(body.map((e) => e.eventId)).toEqual([id, 'mine'])
  expect(new Set(server.bodies.map((b) => b[0]!.timestamp)).size).toBe(1)
  // Retry-After (0 s, then 0.2 s) was used, not the 5 s backoff.
  expect(server.times[2]! - server.times[1]!).toBeGreaterThanOrEqual(190)
  expect(server.times[2]! - server.times[0]!).toBeLessThan(2_000)
  await tracker.close()
})

test('retries network errors, then gives up after maxAttempts and reports what was not delivered', async () => {
  const port = scriptedServer([accepted])
  const url = port.url
  port.stop() // nothing listens there now
  const dropped: { events: TrackedEvent[]; reason: string }[] = []
  const tracker = createTracker({ baseUrl: url, apiKey: 'aisle_key', maxAttempts: 3, baseDelayMs: 10, onDrop: (events, reason) => dropped.push({ events, reason }) })
  tracker.track(event(1))
  const result = await tracker.close()
  expect(result.delivered).toBe(0)
  expect(result.failed).toHaveLength(1)
  expect(result.failed[0]!.events.map((e) => e.user.id)).toEqual(['u1'])
  expect(result.failed[0]!.reason).toStartWith('network:')
  expect(dropped).toEqual(result.failed)
  expect(() => tracker.track(event(2))).toThrow('tracker is closed')
})

test('does not retry a rejected batch (422)', async () => {
  const server = scriptedServer([() => Response.json({ error: { code: 'validation_failed', message: 'bad' } }, { status: 422 })])
  const tracker = createTracker({ baseUrl: server.url, apiKey: 'aisle_key', baseDelayMs: 1 })
  tracker.track(event(1))
  const result = await tracker.close()
  expect(server.bodies).toHaveLength(1)
  expect(result.failed[0]!.reason).toContain('HTTP 422')
  expect(result.failed[0]!.reason).toContain('validation_failed')
})

test('parses Retry-After as seconds or an HTTP date', () => {
  expect(parseRetryAfter('3')).toBe(3000)
  expect(parseRetryAfter(null)).toBeNull()
  expect(parseRetryAfter('soon')).toBeNull()
  const inTwo = new Date(Date.now() + 2_000).toUTCString()
  expect(parseRetryAfter(inTwo)!).toBeGreaterThan(500)
  expect(parseRetryAfter(inTwo)!).toBeLessThanOrEqual(2_000)
})
