// Environment → typed config, validated once at start-up. Unset MONGODB_URL / AMQP_URL select the
// embedded adapters (SQLite under DATA_DIR); see DESIGN.md, "Two modes, one code path".
// Plain TypeBox here, not Elysia's `t`: Elysia's Integer also accepts numeric strings for HTTP
// queries, which Value.Convert does not turn into numbers.
import { Type as t, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const Int = (min: number, max: number, dflt: number, description: string) =>
  t.Integer({ minimum: min, maximum: max, default: dflt, description })

export const ConfigSchema = t.Object({
  PORT: Int(0, 65535, 3000, 'HTTP port of the API'),
  HOST: t.String({ default: '0.0.0.0', description: 'Interface the API listens on' }),
  MONGODB_URL: t.Optional(t.String({ pattern: '^mongodb(\\+srv)?://', description: 'MongoDB connection string; unset = embedded SQLite' })),
  MONGODB_DB: t.String({ minLength: 1, default: 'aisle' }),
  AMQP_URL: t.Optional(t.String({ pattern: '^amqps?://', description: 'RabbitMQ URL; unset = embedded queue' })),
  DATA_DIR: t.String({ minLength: 1, default: './data', description: 'Where the embedded SQLite files live (aisle.sqlite, queue.sqlite)' }),
  LOG_LEVEL: t.Union([t.Literal('debug'), t.Literal('info'), t.Literal('warn'), t.Literal('error'), t.Literal('silent')], { default: 'info' }),
  EVENTS_EXCHANGE: t.String({ minLength: 1, default: 'aisle.events' }),
  EVENTS_QUEUE: t.String({ minLength: 1, default: 'webshop_events' }),
  TRAIN_QUEUE: t.String({ minLength: 1, default: 'aisle.train' }),
  MODELS_EXCHANGE: t.String({ minLength: 1, default: 'aisle.models' }),
  WORKER_BATCH_SIZE: Int(1, 100_000, 500, 'Most event messages the worker writes in one bulk write (a message carries the events of one group commit)'),
  WORKER_BATCH_BYTES: Int(1024, 256 * 1024 * 1024, 4 * 1024 * 1024, 'A bulk write takes no more messages once they reach this size (about 20,000 events at 4 MiB)'),
  WORKER_PREFETCH: Int(1, 10_000, 64, 'Unacknowledged event messages a worker holds'),
  WORKER_LINGER_MS: Int(0, 10_000, 20, 'How long the worker waits to fill a batch'),
  PUBLISH_WINDOW_MS: Int(0, 100, 0, 'Group commit: how long the API gathers concurrent requests\' events into one bus message (0: one event-loop turn)'),
  GROUP_COMMIT_MS: Int(0, 100, 0, 'Embedded queue: least time between two group commits under load (an isolated request is committed at once)'),
  MAX_BODY_BYTES: Int(1024, 64 * 1024 * 1024, 4 * 1024 * 1024, 'Largest accepted request body'),
  AUTH_CACHE_MS: Int(0, 60_000, 1_000, 'How long a server trusts a checked API key; 0 checks the store on every request'),
  RECOMMEND_CACHE_ENTRIES: Int(0, 10_000_000, 20_000, "Answers of GET /recommend a server keeps, each used only while the user's events, the model and the shop's settings are unchanged (0: none)"),
  RECOMMEND_THREADS: Int(0, 16, 1, 'Threads that compute recommendations off the API thread, each with its own copy of the models it serves (0: on the API thread)'),
  MODEL_REFRESH_MS: Int(0, 3_600_000, 5_000, 'How often a server re-checks for a newer model when no update message arrives'),
})
export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const converted = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw))
  const problems = [...Value.Errors(ConfigSchema, converted)].map(
    (e) => `${e.path.slice(1) || '(config)'}=${JSON.stringify(raw[e.path.slice(1)] ?? null)}: ${e.message}`,
  )
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`)
  return converted as Config
}
