// One suite every Bus adapter must pass: durable publish, batched consumption, ack, dead letters,
// redelivery of what a stopped consumer held, and broadcast.
import { afterAll, describe, expect, test } from 'bun:test'
import type { Bus, ConsumeOptions, Message, Outcome } from '../../core/bus/bus'
import { decodeJson, encodeJson } from '../../core/bus/bus'
import { waitFor } from '../helpers/services'

export interface BusFactory {
  /** A bus on this test's private queues; several may be open at once, as separate processes would be. */
  open(): Promise<Bus>
  dispose(): Promise<void>
}

const options = { batchSize: 4, prefetch: 16, lingerMs: 20 }
const body = (n: number) => encodeJson({ n })
const numberOf = (m: Message) => (decodeJson(m.body) as { n: number }).n

/** Consumes `events`, acking every message, and records each batch's size and the numbers seen. */
async function collect(bus: Bus, consumeOptions: ConsumeOptions) {
  const sizes: number[] = []
  const seen: number[] = []
  const sub = await bus.consume('events', async (batch) => {
    sizes.push(batch.length)
    seen.push(...batch.map(numberOf))
    return batch.map((): Outcome => 'ack')
  }, consumeOptions)
  return { sizes, seen, sub }
}

export function busContract(name: string, makeFactory: () => BusFactory) {
  describe(`Bus contract: ${name}`, () => {
    const factories: BusFactory[] = []
    const fresh = () => {
      const f = makeFactory()
      factories.push(f)
      return f
    }
    afterAll(async () => {
      for (const f of factories) await f.dispose()
    })

    test('delivers every published message in batches no larger than batchSize, once acked', async () => {
      const f = fresh()
      const bus = await f.open()
      for (let n = 0; n < 10; n++) await bus.publish('events', body(n))
      const { sizes, seen, sub } = await collect(bus, options)
      await waitFor(async () => seen.length >= 10, 10_000, 'ten messages')
      await sub.stop()
      expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4)
      await waitFor(async () => (await bus.stats('events')).ready === 0, 5_000, 'an empty queue')
    })

    test('a batch gathers what is published while it lingers', async () => {
      const f = fresh()
      const bus = await f.open()
      const { sizes, sub } = await collect(bus, { batchSize: 100, prefetch: 100, lingerMs: 600 })
      await Bun.sleep(100)
      for (let n = 0; n < 5; n++) {
        await bus.publish('events', body(n))
        await Bun.sleep(20)
      }
      await waitFor(async () => sizes.reduce((a, b) => a + b, 0) >= 5, 10_000, 'five messages')
      await sub.stop()
      // Each publish is a commit (or a confirm) of its own; none cuts the linger short.
      expect(sizes).toEqual([5])
    })

    test('a consumer working through a backlog stops after the batch in hand, not after the backlog', async () => {
      const f = fresh()
      const bus = await f.open()
      for (let n = 0; n < 60; n++) await bus.publish('events', body(n))
      let handled = 0
      let stopped: Promise<void> | null = null
      const sub = await bus.consume('events', async (batch) => {
        handled += batch.length
        // Asked from a timer, as a signal handler or a message from another thread would ask.
        if (!stopped) setTimeout(() => (stopped = sub.stop()), 0)
        return batch.map((): Outcome => 'ack')
      }, { batchSize: 1, prefetch: 16, lingerMs: 0 })
      await waitFor(async () => stopped !== null, 10_000, 'the stop request')
      await stopped
      expect(handled).toBeGreaterThan(0)
      expect(handled).toBeLessThan(60)
    })

    test('closes a batch once its bodies reach maxBytes', async () => {
      const f = fresh()
      const bus = await f.open()
      const big = (n: number) => encodeJson({ n, pad: 'x'.repeat(990) }) // about 1,000 bytes each
      for (let n = 0; n < 6; n++) await bus.publish('events', big(n))
      const { sizes, seen, sub } = await collect(bus, { batchSize: 100, prefetch: 100, lingerMs: 50, maxBytes: 2_500 })
      await waitFor(async () => seen.length >= 6, 10_000, 'six messages')
      await sub.stop()
      expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5])
      // The message that crosses 2,500 bytes is the last one taken: three at most.
      expect(Math.max(...sizes)).toBeLessThanOrEqual(3)
    })

    test('redelivers a batch whose handler failed, marked as redelivered', async () => {
      const f = fresh()
      const bus = await f.open()
      await bus.publish('events', body(42))
      const deliveries: Message[] = []
      const sub = await bus.consume('events', async (batch) => {
        deliveries.push(...batch)
        if (deliveries.length === 1) throw new Error('not now')
        return batch.map((): Outcome => 'ack')
      }, { ...options, lingerMs: 0 })
      await waitFor(async () => deliveries.length >= 2, 10_000, 'a redelivery')
      await sub.stop()
      expect(deliveries.map(numberOf)).toEqual([42, 42])
      expect(deliveries[0]!.redelivered).toBe(false)
      expect(deliveries[1]!.redelivered).toBe(true)
    })

    test('sets dead messages aside and keeps the rest of the batch', async () => {
      const f = fresh()
      const bus = await f.open()
      for (let n = 0; n < 3; n++) await bus.publish('events', body(n))
      const handled: number[] = []
      const sub = await bus.consume('events', async (batch) => {
        handled.push(...batch.map(numberOf))
        return batch.map((m): Outcome => (numberOf(m) === 1 ? 'dead' : 'ack'))
      }, options)
      await waitFor(async () => handled.length >= 3, 10_000, 'three messages')
      await waitFor(async () => (await bus.stats('events')).dead === 1, 5_000, 'one dead letter')
      await Bun.sleep(300)
      await sub.stop()
      expect(handled.sort()).toEqual([0, 1, 2])
      expect(await bus.stats('events')).toEqual({ ready: 0, dead: 1 })
    })

    test('gives what a crashed consumer held to the next one', async () => {
      const f = fresh()
      const first = await f.open()
      for (let n = 0; n < 3; n++) await first.publish('events', body(n))
      let held = 0
      await first.consume('events', async (batch) => {
        held += batch.length
        return new Promise<Outcome[]>(() => {}) // never finishes: the process "dies" holding it
      }, options)
      await waitFor(async () => held === 3, 10_000, 'the first consumer to hold all three')
      await first.close()

      const second = await f.open()
      const seen: number[] = []
      const sub = await second.consume('events', async (batch) => {
        seen.push(...batch.map(numberOf))
        return batch.map((): Outcome => 'ack')
      }, options)
      await waitFor(async () => seen.length >= 3, 15_000, 'redelivery to the second consumer')
      await sub.stop()
      expect(seen.sort()).toEqual([0, 1, 2])
    })

    test('keeps the train queue apart from the events queue', async () => {
      const f = fresh()
      const bus = await f.open()
      await bus.publish('train', body(7))
      await bus.publish('events', body(8))
      const trained: number[] = []
      const sub = await bus.consume('train', async (batch) => {
        trained.push(...batch.map(numberOf))
        return batch.map((): Outcome => 'ack')
      }, { batchSize: 1, prefetch: 1, lingerMs: 0 })
      await waitFor(async () => trained.length === 1, 10_000, 'the train message')
      await Bun.sleep(100)
      await sub.stop()
      expect(trained).toEqual([7])
      expect((await bus.stats('events')).ready).toBe(1)
    })

    for (const [what, separate, version] of [['the subscribers of the same bus', false, 3], ['the subscribers of every other bus on the same queues', true, 4]] as const) {
      test(`broadcasts reach ${what}`, async () => {
        const f = fresh()
        const sender = await f.open()
        const listener = separate ? await f.open() : sender
        const heard: unknown[] = []
        const sub = await listener.subscribeBroadcast((b) => heard.push(decodeJson(b)))
        await Bun.sleep(100)
        await sender.broadcast(encodeJson({ webshopId: 'w', version }))
        await waitFor(async () => heard.length === 1, 5_000, 'the broadcast')
        await sub.stop()
        expect(heard).toEqual([{ webshopId: 'w', version }])
      })
    }
  })
}
