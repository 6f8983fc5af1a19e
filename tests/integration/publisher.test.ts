// Group commit on the embedded queue: concurrent requests share messages, each resolves only
// once its message is durable, and a failed commit fails every request it carried.
import { afterAll, expect, test } from 'bun:test'
import type { Bus, Message, Outcome } from '../../core/bus/bus'
import { decodeJson } from '../../core/bus/bus'
import { EventPublisher } from '../../core/publisher'
import type { AcceptedEvent, EventBatchMessage } from '../../core/schemas'
import { localBusFactory } from '../helpers/adapters'
import { waitFor } from '../helpers/services'

const factory = localBusFactory({ pollMs: 20 })
afterAll(() => factory.dispose())

const events = (prefix: string, n: number): AcceptedEvent[] =>
  Array.from({ length: n }, (_, i) => ({ eventId: `${prefix}-${i}`, type: 'view', timestamp: new Date(0).toISOString(), user: { id: 'u' }, item: { id: `i${i}` } }))

async function drain(bus: Bus, expectedEvents: number): Promise<EventBatchMessage[]> {
  const messages: EventBatchMessage[] = []
  const sub = await bus.consume('events', async (batch: Message[]) => {
    messages.push(...batch.map((m) => decodeJson(m.body) as EventBatchMessage))
    return batch.map((): Outcome => 'ack')
  }, { batchSize: 100, prefetch: 100, lingerMs: 0 })
  await waitFor(async () => messages.reduce((n, m) => n + m.events.length, 0) >= expectedEvents, 10_000, 'all events')
  await sub.stop()
  return messages
}

test('concurrent requests of a webshop travel as one message; webshops stay apart', async () => {
  const bus = await factory.open()
  const publisher = new EventPublisher(bus, { windowMs: 0 })
  const receivedAt = new Date().toISOString()
  await Promise.all([
    ...Array.from({ length: 20 }, (_, r) => publisher.publish('shop-a', receivedAt, events(`a${r}`, 3))),
    ...Array.from({ length: 5 }, (_, r) => publisher.publish('shop-b', receivedAt, events(`b${r}`, 2))),
  ])
  const messages = await drain(bus, 70)
  expect(messages.map((m) => [m.webshopId, m.events.length])).toEqual([['shop-a', 60], ['shop-b', 10]])
  expect(new Set(messages[0]!.events.map((e) => e.eventId)).size).toBe(60)
})

test('a group never exceeds maxEvents', async () => {
  const bus = await factory.open()
  const publisher = new EventPublisher(bus, { windowMs: 5, maxEvents: 10 })
  await Promise.all(Array.from({ length: 7 }, (_, r) => publisher.publish('shop', new Date().toISOString(), events(`r${r}`, 4))))
  const messages = await drain(bus, 28)
  expect(messages.every((m) => m.events.length <= 10)).toBe(true)
  expect(messages.reduce((n, m) => n + m.events.length, 0)).toBe(28)
})

test('when the bus cannot take the message, every request in it fails', async () => {
  const bus = await factory.open()
  const publisher = new EventPublisher(bus, { windowMs: 0 })
  await bus.close()
  const results = await Promise.allSettled(Array.from({ length: 5 }, (_, r) => publisher.publish('shop', new Date().toISOString(), events(`x${r}`, 1))))
  expect(results.every((r) => r.status === 'rejected')).toBe(true)
  expect((results[0] as PromiseRejectedResult).reason.name).toBe('UnavailableError')
})
