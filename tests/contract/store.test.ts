import { describe, expect, test } from 'bun:test'
import type { MongoStore } from '../../core/store/mongo'
import { mongoStore, sqliteStore } from '../helpers/adapters'
import { hasMongo } from '../helpers/services'
import { storeContract } from './store.contract'

storeContract('SQLite', sqliteStore)
if (hasMongo) storeContract('MongoDB wire protocol', () => mongoStore())

if (hasMongo) {
  describe('MongoDB wire protocol: a request in flight when the process stops', () => {
    test('fails as unavailable (503, retried by the worker), not as a bug (500)', async () => {
      const harness = await mongoStore()
      const store = harness.value as MongoStore
      const pending = store.findWebshopById('x')
      await store.close()
      const err = await pending.then(() => null, (e: unknown) => e)
      expect(err).toBeInstanceOf(Error)
      expect(store.isTransientError(err)).toBe(true)
      const after = await store.findWebshopById('x').then(() => null, (e: unknown) => e)
      expect(store.isTransientError(after)).toBe(true)
      await harness.dispose().catch(() => {})
    })
  })
}
