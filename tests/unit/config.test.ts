import { expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../../core/config'

test('defaults: embedded mode on port 3000', () => {
  const c = loadConfig({})
  expect(c.PORT).toBe(3000)
  expect(c.MONGODB_DB).toBe('aisle')
  expect(c.MONGODB_URL).toBeUndefined()
  expect(c.AMQP_URL).toBeUndefined()
  expect(c.EVENTS_QUEUE).toBe('webshop_events')
  expect(c.DATA_DIR).toBe('./data')
})

test('reads and converts the environment', () => {
  const c = loadConfig({ PORT: '8080', MONGODB_URL: 'mongodb://db:27017', AMQP_URL: 'amqp://mq', WORKER_BATCH_SIZE: '100', LOG_LEVEL: 'debug', MONGODB_DB: '' })
  expect(c).toMatchObject({ PORT: 8080, MONGODB_URL: 'mongodb://db:27017', AMQP_URL: 'amqp://mq', WORKER_BATCH_SIZE: 100, LOG_LEVEL: 'debug', MONGODB_DB: 'aisle' })
})

test('names every bad variable at once', () => {
  let error: unknown
  try {
    loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', MONGODB_URL: 'postgres://x' })
  } catch (err) {
    error = err
  }
  expect(error).toBeInstanceOf(ConfigError)
  const message = (error as Error).message
  expect(message).toContain('PORT="eighty"')
  expect(message).toContain('LOG_LEVEL="loud"')
  expect(message).toContain('MONGODB_URL="postgres://x"')
})
