// The one place that picks adapters from the configuration. Everything else receives ports.
import type { Database } from 'bun:sqlite'
import type { Bus } from './bus/bus'
import { LocalBus } from './bus/local'
import { RabbitBus } from './bus/rabbitmq'
import type { Config } from './config'
import type { Logger } from './log'
import { openSqlite, QUEUE_FILE, STORE_FILE } from './sqlite'
import { MongoStore } from './store/mongo'
import { SqliteStore } from './store/sqlite'
import type { Store } from './store/store'

export interface Ports {
  store: Store
  bus: Bus
  /** Human-readable: which adapters, and where the data lives. */
  description: string
  close(): Promise<void>
}

export async function openPorts(config: Config, log: Logger): Promise<Ports> {
  // Two files in the embedded mode: the store's, and the queue's, so that a long bulk write of the
  // worker never holds the lock a publish (a request waiting for its 202) needs.
  const opened = await openStore(config)
  const { store, storeDb } = opened
  const queueDb = config.AMQP_URL ? null : openSqlite(config.DATA_DIR, QUEUE_FILE)
  const bus: Bus = config.AMQP_URL
    ? new RabbitBus(
        config.AMQP_URL,
        {
          eventsExchange: config.EVENTS_EXCHANGE,
          eventsQueue: config.EVENTS_QUEUE,
          trainQueue: config.TRAIN_QUEUE,
          modelsExchange: config.MODELS_EXCHANGE,
        },
        log,
      )
    : new LocalBus(queueDb!, { groupCommitMs: config.GROUP_COMMIT_MS, onError: (err) => log.warn('embedded queue: consuming paused after an error', { err }) })
  await bus.init()
  if (storeDb && bus instanceof LocalBus) {
    const adopted = bus.adoptMessagesFrom(storeDb)
    if (adopted > 0) log.info('moved queued messages into the queue file', { messages: adopted })
  }
  const description = [
    storeDb ? `store: embedded SQLite (${storeDb.filename})` : `store: MongoDB (${redact(config.MONGODB_URL!)}, db ${config.MONGODB_DB})`,
    queueDb ? `bus: embedded queue (${queueDb.filename})` : `bus: RabbitMQ (${redact(config.AMQP_URL!)})`,
  ].join('; ')
  return {
    store,
    bus,
    description,
    async close() {
      await bus.close()
      await opened.close()
      queueDb?.close()
    },
  }
}

/**
 * The store alone, initialised, with a connection of its own (openPorts, and a thread that only
 * reads models). `storeDb` is the embedded store's file, null on MongoDB.
 */
export async function openStore(config: Config): Promise<{ store: Store; storeDb: Database | null; close(): Promise<void> }> {
  const storeDb = config.MONGODB_URL ? null : openSqlite(config.DATA_DIR, STORE_FILE)
  const store: Store = storeDb ? new SqliteStore(storeDb) : new MongoStore(config.MONGODB_URL!, config.MONGODB_DB)
  await store.init()
  return {
    store,
    storeDb,
    async close() {
      await store.close()
      storeDb?.close()
    },
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@')
}
