// The one place that picks adapters from the configuration. Everything else receives ports.
import type { Bus } from './bus/bus'
import { LocalBus } from './bus/local'
import { RabbitBus } from './bus/rabbitmq'
import type { Config } from './config'
import type { Logger } from './log'
import { openSqlite } from './sqlite'
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
  const sqlite = !config.MONGODB_URL || !config.AMQP_URL ? openSqlite(config.DATA_DIR) : null
  const store: Store = config.MONGODB_URL ? new MongoStore(config.MONGODB_URL, config.MONGODB_DB) : new SqliteStore(sqlite!)
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
    : new LocalBus(sqlite!, { groupCommitMs: config.GROUP_COMMIT_MS, onError: (err) => log.warn('embedded queue: consuming paused after an error', { err }) })
  await store.init()
  await bus.init()
  const where = sqlite ? `${config.DATA_DIR}/aisle.sqlite` : ''
  const description = [
    config.MONGODB_URL ? `store: MongoDB (${redact(config.MONGODB_URL)}, db ${config.MONGODB_DB})` : `store: embedded SQLite (${where})`,
    config.AMQP_URL ? `bus: RabbitMQ (${redact(config.AMQP_URL)})` : `bus: embedded queue (${where})`,
  ].join('; ')
  return {
    store,
    bus,
    description,
    async close() {
      await bus.close()
      await store.close()
      sqlite?.close()
    },
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@')
}
