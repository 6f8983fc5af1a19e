// The API-key cache in front of the store: an entry that expires under load costs one store query,
// not one per waiting request, and a webshop changed meanwhile is not cached as it was.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Store } from '../../core/store/store'
import { generateApiKey, hashApiKey } from '../../core/webshops'
import { ApiKeyCache } from '../../server/auth'
import { sqliteStore, type Harness } from '../helpers/adapters'
import { webshopRecord } from '../helpers/fixtures'

let harness: Harness<Store>
let store: Store
let lookups = 0
const apiKey = generateApiKey()
const shop = webshopRecord({ apiKeyHash: hashApiKey(apiKey) })

beforeAll(async () => {
  harness = await sqliteStore()
  store = harness.value
  await store.createWebshop(shop)
  // Counts the real store's key lookups.
  const find = store.findWebshopByKeyHash.bind(store)
  store.findWebshopByKeyHash = (hash) => {
    lookups++
    return find(hash)
  }
})
afterAll(() => harness.dispose())

test('requests that find the entry missing or expired share one store query', async () => {
  const keys = new ApiKeyCache(store, 30)
  lookups = 0
  const first = await Promise.all(Array.from({ length: 200 }, () => keys.find(apiKey)))
  expect(first.every((w) => w?.id === shop.id)).toBe(true)
  expect(lookups).toBe(1)
  await keys.find(apiKey)
  expect(lookups).toBe(1) // cached
  await Bun.sleep(40)
  const again = await Promise.all(Array.from({ length: 200 }, () => keys.find(apiKey)))
  expect(again.every((w) => w?.id === shop.id)).toBe(true)
  expect(lookups).toBe(2)
})

test('unknown keys are never cached, and their concurrent checks are shared too', async () => {
  const keys = new ApiKeyCache(store, 60_000)
  const unknown = generateApiKey()
  lookups = 0
  expect(await Promise.all([keys.find(unknown), keys.find(unknown), keys.find(unknown)])).toEqual([null, null, null])
  expect(lookups).toBe(1)
  expect(await keys.find(unknown)).toBeNull()
  expect(lookups).toBe(2)
})

test('a check in flight when the webshop changes is not cached; the next request reads it again', async () => {
  const keys = new ApiKeyCache(store, 60_000)
  lookups = 0
  const inFlight = keys.find(apiKey)
  keys.forget(shop.id)
  expect((await inFlight)?.id).toBe(shop.id)
  await keys.find(apiKey)
  expect(lookups).toBe(2)
  await keys.find(apiKey)
  expect(lookups).toBe(2) // that one was cached
})
