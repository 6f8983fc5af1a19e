// Kept answers on the recommend path, against the real embedded store: served again only while
// the model, the settings and the user's events are unchanged; filtered answers always computed.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Store } from '../../core/store/store'
import { datasetFrom } from '../../recommender/dataset'
import { ItemKnn } from '../../recommender/itemknn'
import { ModelCache, recommendForUser, type RecommendRequest } from '../../recommender/serving'
import { sqliteStore, type Harness } from '../helpers/adapters'
import { batch, webshopRecord } from '../helpers/fixtures'

let harness: Harness<Store>
let store: Store
let historyReads = 0
const shop = webshopRecord()
const weights = { view: 1, click: 2, add_to_cart: 4, remove_from_cart: -2, purchase: 8 }

// Two taste clusters: u2–u4 bought a1–a4, u5–u8 bought b1–b4; u1 bought a1 and a2 only.
function events(): [string, string, string, string, number][] {
  const out: [string, string, string, string, number][] = []
  for (let u = 1; u <= 8; u++) {
    const c = u <= 4 ? 'a' : 'b'
    for (let i = 1; i <= (u === 1 ? 2 : 4); i++) out.push([`e-${u}-${i}`, `u${u}`, `${c}${i}`, 'purchase', u])
  }
  return out
}

beforeAll(async () => {
  harness = await sqliteStore()
  // The real store, with its history reads counted.
  store = Object.create(harness.value, {
    userHistory: { value: (...args: Parameters<Store['userHistory']>) => (historyReads++, harness.value.userHistory(...args)) },
  })
  await store.createWebshop(shop)
  await store.writeBatch(batch(shop.id, events()))
  const model = ItemKnn.train(datasetFrom(events().map(([, userId, itemId, , minute]) => ({ userId, itemId, weight: 8, timestamp: minute * 60_000 }))), ItemKnn.defaultParams)
  await store.saveModel({ webshopId: shop.id, algorithm: 'item_knn', trainedAt: new Date(), params: {}, metrics: {}, artifact: model.serialize() })
})
afterAll(() => harness.dispose())

const ask = (cache: ModelCache, overrides: Partial<RecommendRequest> = {}) =>
  recommendForUser(store, cache, { webshopId: shop.id, userId: 'u1', weights, settingsVersion: 1, limit: 2, includeSeen: false, ...overrides })
const ids = (r: { items: { itemId: string }[] }) => r.items.map((i) => i.itemId).sort()

test('an answer is kept while nothing it depends on changed, and computed again when something did', async () => {
  const cache = new ModelCache(store, 60_000, 100)
  const before = historyReads
  const first = await ask(cache)
  expect(ids(first)).toEqual(['a3', 'a4'])
  expect(await ask(cache)).toEqual(first)
  expect(historyReads - before).toBe(1)

  await ask(cache, { settingsVersion: 2 }) // the shop's settings changed
  expect(historyReads - before).toBe(2)
  await ask(cache, { limit: 3 }) // another question
  expect(historyReads - before).toBe(3)
  await ask(cache, { filter: { category: 'x' } })
  await ask(cache, { filter: { category: 'x' } }) // filtered answers are always computed
  expect(historyReads - before).toBe(5)

  // u1 buys a3 and a4: the kept answer must not be served any more.
  await store.writeBatch(batch(shop.id, [['e-1-3', 'u1', 'a3', 'purchase', 9], ['e-1-4', 'u1', 'a4', 'purchase', 9]]))
  const after = await ask(cache)
  expect(historyReads - before).toBe(6)
  expect(ids(after)).not.toContain('a3')
  expect(ids(after)).not.toContain('a4')
})

test('with no room for answers, every answer is computed', async () => {
  const cache = new ModelCache(store, 60_000, 0)
  const before = historyReads
  await ask(cache, { userId: 'u5' })
  await ask(cache, { userId: 'u5' })
  expect(historyReads - before).toBe(2)
})
