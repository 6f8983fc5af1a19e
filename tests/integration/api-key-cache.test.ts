// The API-key cache in front of the store: one store query per needed check however many requests
// wait, no request waiting for a key the store confirmed a moment ago, ingest that goes on while
// the store cannot be asked (for a bounded time), and a webshop changed meanwhile not cached as it was.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Store } from '../../core/store/store'
import { generateApiKey, hashApiKey } from '../../core/webshops'
import { ApiKeyCache } from '../../server/auth'
import { sqliteStore, type Harness } from '../helpers/adapters'
import { webshopRecord } from '../helpers/fixtures'

let harness: Harness<Store>
let store: Store
let lookups = 0
/** While set, the store's key lookups fail as if it could not be reached. */
let storeDown = false
const apiKey = generateApiKey()
const shop = webshopRecord({ apiKeyHash: hashApiKey(apiKey) })

beforeAll(async () => {
  harness = await sqliteStore()
  store = harness.value
  await store.createWebshop(shop)
  // Counts the real store's key lookups, and fails them on demand.
  const find = store.findWebshopByKeyHash.bind(store)
  store.findWebshopByKeyHash = async (hash) => {
    lookups++
    if (storeDown) throw new Error('the store cannot be reached')
    return find(hash)
  }
})
afterAll(() => harness.dispose())

const settle = () => Bun.sleep(5)

test('a key not cached: the requests that find it missing share one store query', async () => {
  const keys = new ApiKeyCache(store, 30)
  lookups = 0
  const first = await Promise.all(Array.from({ length: 200 }, () => keys.find(apiKey)))
  expect(first.every((w) => w?.id === shop.id)).toBe(true)
  expect(lookups).toBe(1)
  await keys.find(apiKey)
  expect(lookups).toBe(1) // cached
})

test('an expired entry answers at once while one check refreshes it', async () => {
  const keys = new ApiKeyCache(store, 30)
  await keys.find(apiKey)
  await Bun.sleep(40)
  lookups = 0
  const again = await Promise.all(Array.from({ length: 200 }, () => keys.find(apiKey)))
  expect(again.every((w) => w?.id === shop.id)).toBe(true)
  await settle()
  expect(lookups).toBe(1)
  await keys.find(apiKey)
  expect(lookups).toBe(1) // refreshed
})

test('while the store cannot be asked, a confirmed key keeps answering until the stale limit, then the failure shows', async () => {
  const keys = new ApiKeyCache(store, 20, 200)
  await keys.find(apiKey)
  storeDown = true
  try {
    await Bun.sleep(30)
    expect((await keys.find(apiKey))?.id).toBe(shop.id)
    await settle()
    expect((await keys.find(apiKey))?.id).toBe(shop.id)
    await Bun.sleep(200)
    await expect(keys.find(apiKey)).rejects.toThrow('cannot be reached')
  } finally {
    storeDown = false
  }
  expect((await keys.find(apiKey))?.id).toBe(shop.id)
})

test('a key the store no longer knows stops working after the refresh that finds it gone', async () => {
  const doomedKey = generateApiKey()
  const doomed = webshopRecord({ apiKeyHash: hashApiKey(doomedKey) })
  await store.createWebshop(doomed)
  const keys = new ApiKeyCache(store, 20)
  expect((await keys.find(doomedKey))?.id).toBe(doomed.id)
  await store.deleteWebshop(doomed.id)
  await Bun.sleep(30)
  await keys.find(doomedKey) // answered from the entry; its check finds the key gone
  await settle()
  expect(await keys.find(doomedKey)).toBeNull()
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
