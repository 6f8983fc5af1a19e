// Fresh, isolated adapters for tests: a temp SQLite file, a MongoDB database of its own, and
// RabbitMQ queues and exchanges of their own, each removed afterwards.
import amqp from 'amqplib'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import type { Bus } from '../../core/bus/bus'
import { LocalBus, type LocalBusOptions } from '../../core/bus/local'
import { RabbitBus, type RabbitTopology } from '../../core/bus/rabbitmq'
import { createLogger } from '../../core/log'
import { openSqlite, QUEUE_FILE, STORE_FILE } from '../../core/sqlite'
import { MongoStore } from '../../core/store/mongo'
import { SqliteStore } from '../../core/store/sqlite'
import type { Store } from '../../core/store/store'
import { amqpUrl, mongoUrl, uniqueName } from './services'

export const quietLog = createLogger('silent', 'test')

export function tempDir(prefix = 'aisle-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface Harness<T> {
  value: T
  dispose(): Promise<void>
}

export async function sqliteStore(): Promise<Harness<Store>> {
  const tmp = tempDir()
  const db = openSqlite(tmp.dir, STORE_FILE)
  const store = new SqliteStore(db)
  await store.init()
  return { value: store, dispose: async () => { db.close(); tmp.remove() } }
}

export async function mongoStore(dbName = uniqueName('aisle_test')): Promise<Harness<Store>> {
  const store = new MongoStore(mongoUrl!, dbName)
  await store.init()
  return {
    value: store,
    dispose: async () => {
      await store.close()
      const client = await MongoClient.connect(mongoUrl!)
      await client.db(dbName).dropDatabase().catch(() => {})
      await client.close()
    },
  }
}

/** A local bus on its own file; `reopen` gives another bus on the same file, as after a restart. */
export function localBusFactory(options?: LocalBusOptions) {
  const tmp = tempDir()
  const dbs: ReturnType<typeof openSqlite>[] = []
  return {
    open: async (): Promise<Bus> => {
      const db = openSqlite(tmp.dir, QUEUE_FILE)
      dbs.push(db)
      const bus = new LocalBus(db, options)
      await bus.init()
      return bus
    },
    dispose: async () => {
      for (const db of dbs) db.close()
      tmp.remove()
    },
  }
}

export function rabbitTopology(): RabbitTopology {
  const id = uniqueName('test')
  return { eventsExchange: `${id}.events`, eventsQueue: `${id}.webshop_events`, trainQueue: `${id}.train`, modelsExchange: `${id}.models` }
}

/** RabbitMQ buses on one private topology; `dispose` deletes its queues and exchanges. */
export function rabbitBusFactory(topology = rabbitTopology()) {
  const buses: Bus[] = []
  return {
    topology,
    open: async (): Promise<Bus> => {
      const bus = new RabbitBus(amqpUrl, topology, quietLog)
      await bus.init()
      buses.push(bus)
      return bus
    },
    dispose: async () => {
      for (const bus of buses) await bus.close()
      const conn = await amqp.connect(amqpUrl)
      const ch = await conn.createChannel()
      for (const q of [topology.eventsQueue, topology.trainQueue]) {
        await ch.deleteQueue(q)
        await ch.deleteQueue(`${q}.dead`)
      }
      for (const x of [topology.eventsExchange, `${topology.eventsExchange}.dlx`, topology.modelsExchange]) await ch.deleteExchange(x)
      await conn.close()
    },
  }
}
