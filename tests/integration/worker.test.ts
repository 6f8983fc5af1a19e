// The worker against real parts: RabbitMQ and the MongoDB wire protocol (FerretDB), and the
// embedded pair. Publish → consume → documents in the database; crash and redelivery; poison
// messages; a database outage mid-stream.
import { afterAll, describe, expect, test } from 'bun:test'
import type { Bus, Subscription } from '../../core/bus/bus'
import { encodeJson } from '../../core/bus/bus'
import { MongoStore } from '../../core/store/mongo'
import type { Store } from '../../core/store/store'
import { startEventConsumer } from '../../worker/consumer'
import { localBusFactory, mongoStore, quietLog, rabbitBusFactory, sqliteStore, type Harness } from '../helpers/adapters'
import { startFerret, hasFerretBin } from '../helpers/ferretdb'
import { eventMessage, webshopRecord } from '../helpers/fixtures'
import { hasMongo, hasRabbit, waitFor } from '../helpers/services'

const consumerOptions = { batchSize: 50, prefetch: 20, lingerMs: 10, log: quietLog }

interface Mode {
  name: string
  store: () => Promise<Harness<Store>>
  buses: () => { open(): Promise<Bus>; dispose(): Promise<void> }
}
const modes: Mode[] = [{ name: 'embedded', store: sqliteStore, buses: () => localBusFactory({ pollMs: 20 }) }]
if (hasMongo && hasRabbit) modes.push({ name: 'RabbitMQ + MongoDB wire protocol', store: () => mongoStore(), buses: () => rabbitBusFactory() })

for (const mode of modes) {
  describe(`worker (${mode.name})`, () => {
    const cleanup: (() => Promise<void>)[] = []
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c()
    })
    const setup = async () => {
      const store = await mode.store()
      const buses = mode.buses()
      cleanup.push(store.dispose, buses.dispose)
      const webshop = webshopRecord()
      await store.value.createWebshop(webshop)
      return { store: store.value, buses, webshop }
    }

    test('stores published events, users and items', async () => {
      const { store, buses, webshop } = await setup()
      const bus = await buses.open()
      const sub = await startEventConsumer(bus, store, consumerOptions)
      await bus.publish('events', encodeJson(eventMessage(webshop.id, 30, 'a')))
      await bus.publish('events', encodeJson(eventMessage(webshop.id, 10, 'b')))
      await waitFor(async () => (await store.totals(webshop.id)).events === 40, 20_000, '40 stored events')
      await sub.stop()
      expect(await store.totals(webshop.id)).toEqual({ users: 5, items: 7, events: 40 })
      expect((await store.findEntity('users', webshop.id, 'u1'))?.attributes).toEqual({ segment: 's0' })
    })

    test('a worker that dies after writing, before acking, leaves exactly one copy of each event', async () => {
      const { store, buses, webshop } = await setup()
      const doomed = await buses.open()
      let writes = 0
      // The real store, but the process "dies" (its bus connection drops) right after each write.
      const crashingStore: Store = Object.create(store, {
        writeBatch: {
          value: async (...args: Parameters<Store['writeBatch']>) => {
            await store.writeBatch(...args)
            writes++
            await doomed.close()
            throw new Error('worker crashed before ack')
          },
        },
      })
      await startEventConsumer(doomed, crashingStore, consumerOptions)
      for (const prefix of ['x', 'y', 'z']) await doomed.publish('events', encodeJson(eventMessage(webshop.id, 20, prefix)))
      await waitFor(async () => writes > 0, 20_000, 'the first write')

      const survivor = await buses.open()
      const sub = await startEventConsumer(survivor, store, consumerOptions)
      await waitFor(async () => (await survivor.stats('events')).ready === 0 && (await store.totals(webshop.id)).events === 60, 30_000, 'all 60 events')
      await Bun.sleep(300)
      await sub.stop()
      expect((await store.totals(webshop.id)).events).toBe(60)
      const ids = (await store.userEvents(webshop.id, 'u0', 1000)).map((e) => e.eventId)
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids.length).toBe(12)
    })

    test('dead-letters a malformed message and stores the valid ones beside it', async () => {
      const { store, buses, webshop } = await setup()
      const bus = await buses.open()
      await bus.publish('events', new TextEncoder().encode('{not json'))
      await bus.publish('events', encodeJson({ webshopId: webshop.id, events: [{ type: 'view' }] }))
      await bus.publish('events', encodeJson(eventMessage(webshop.id, 5, 'ok')))
      const sub = await startEventConsumer(bus, store, consumerOptions)
      await waitFor(async () => (await bus.stats('events')).dead === 2, 20_000, 'two dead letters')
      await waitFor(async () => (await store.totals(webshop.id)).events === 5, 20_000, 'five stored events')
      await sub.stop()
    })

    test('drops events of a webshop deleted before they were written', async () => {
      const { store, buses, webshop } = await setup()
      const bus = await buses.open()
      await store.deleteWebshop(webshop.id)
      await bus.publish('events', encodeJson(eventMessage(webshop.id, 5, 'gone')))
      const sub = await startEventConsumer(bus, store, consumerOptions)
      await waitFor(async () => (await bus.stats('events')).ready === 0, 20_000, 'the message to be consumed')
      await Bun.sleep(200)
      await sub.stop()
      expect(await store.totals(webshop.id)).toEqual({ users: 0, items: 0, events: 0 })
      expect((await bus.stats('events')).dead).toBe(0)
    })
  })
}

describe.skipIf(!hasRabbit || !hasFerretBin)('worker through a database outage (RabbitMQ + FerretDB process)', () => {
  test('retries while MongoDB is down and loses or duplicates nothing', async () => {
    const ferret = await startFerret()
    const buses = rabbitBusFactory()
    const store = new MongoStore(ferret.url, 'aisle_outage')
    try {
      await store.init()
      const webshop = webshopRecord()
      await store.createWebshop(webshop)
      const bus = await buses.open()
      let sub: Subscription | null = await startEventConsumer(bus, store, consumerOptions)
      await bus.publish('events', encodeJson(eventMessage(webshop.id, 10, 'before')))
      await waitFor(async () => (await store.totals(webshop.id)).events === 10, 20_000, 'the first 10 events')

      await ferret.stop()
      for (const prefix of ['during1', 'during2']) await bus.publish('events', encodeJson(eventMessage(webshop.id, 10, prefix)))
      await Bun.sleep(1_500) // the worker now fails and backs off
      await ferret.start()

      await waitFor(async () => (await store.totals(webshop.id).catch(() => null))?.events === 30, 60_000, 'all 30 events after the outage')
      await sub.stop()
      sub = null
      expect(await store.totals(webshop.id)).toEqual({ users: 5, items: 7, events: 30 })
      expect((await bus.stats('events')).dead).toBe(0)
    } finally {
      await store.close()
      await buses.dispose()
      await ferret.dispose()
    }
  }, 90_000)
})
