// Scoring threads against the real embedded store: the same answers as scoring on the calling
// thread, a newer model once there is one, nothing for a shop whose model is gone, and a thread
// that cannot start refuses its calls (503) instead of leaving them waiting.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { loadConfig } from '../../core/config'
import { UnavailableError } from '../../core/errors'
import { openStore } from '../../core/ports'
import type { Store } from '../../core/store/store'
import { datasetFrom } from '../../recommender/dataset'
import { Ease } from '../../recommender/ease'
import { ItemKnn } from '../../recommender/itemknn'
import type { History } from '../../recommender/interface'
import { InlineScorer, ThreadScorer } from '../../recommender/scorer'
import { quietLog, tempDir } from '../helpers/adapters'
import { webshopRecord } from '../helpers/fixtures'

const tmp = tempDir('aisle-scorer-')
const config = loadConfig({ DATA_DIR: tmp.dir })
let opened: Awaited<ReturnType<typeof openStore>>
let store: Store
const shop = webshopRecord()

// Three taste clusters over 12 items, 30 users.
const interactions = Array.from({ length: 30 }, (_, u) =>
  Array.from({ length: 4 }, (_, i) => ({ userId: `u${u}`, itemId: `${'abc'[u % 3]}${(u + i) % 4}`, weight: 8, timestamp: (u * 4 + i) * 60_000 })),
).flat()
const history = (...items: string[]): History => new Map(items.map((itemId, n) => [itemId, { weight: 8, lastSeen: n * 60_000 }]))

beforeAll(async () => {
  opened = await openStore(config)
  store = opened.store
  await store.createWebshop(shop)
  const model = ItemKnn.train(datasetFrom(interactions), ItemKnn.defaultParams)
  await store.saveModel({ webshopId: shop.id, algorithm: 'item_knn', trainedAt: new Date(), params: {}, metrics: {}, artifact: model.serialize() })
})
afterAll(async () => {
  await opened.close()
  tmp.remove()
})

test('threads answer as the calling thread does, and move to a newer model', async () => {
  const threads = new ThreadScorer(config, 2, quietLog)
  const inline = new InlineScorer(store)
  try {
    const asks = [history('a0'), history('b1', 'b2'), history('c3', 'a1'), history(), history('unknown')]
    for (const h of asks) {
      for (const includeSeen of [false, true]) {
        const req = { webshopId: shop.id, version: 1, history: h, limit: 5, includeSeen }
        const viaThread = await threads.recommend(req)
        expect(viaThread).toEqual(await inline.recommend(req))
        expect(viaThread!.algorithm).toBe('item_knn')
      }
    }
    // Concurrent calls, spread over the two threads, each get their own answer.
    const many = await Promise.all(['a0', 'b0', 'c0', 'a1', 'b1', 'c1'].map((item) => threads.recommend({ webshopId: shop.id, version: 1, history: history(item), limit: 3, includeSeen: false })))
    expect(many.map((s) => s!.items[0]!.itemId[0])).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
    const similar = { webshopId: shop.id, version: 1, itemId: 'a0', limit: 3 }
    expect(await threads.similar(similar)).toEqual(await inline.similar(similar))

    // A newer model: a call that asks for version 2 gets it; the threads load it themselves.
    const ease = Ease.train(datasetFrom(interactions), Ease.defaultParams)
    await store.saveModel({ webshopId: shop.id, algorithm: 'ease', trainedAt: new Date(), params: {}, metrics: {}, artifact: ease.serialize() })
    const newer = await threads.recommend({ webshopId: shop.id, version: 2, history: history('a0'), limit: 3, includeSeen: false })
    expect(newer).toMatchObject({ algorithm: 'ease', version: 2 })

    // A shop whose models are gone gets nothing from the threads (the caller falls back).
    expect(await threads.recommend({ webshopId: 'no-such-shop', version: 1, history: history('a0'), limit: 3, includeSeen: false })).toBeNull()
  } finally {
    await threads.close()
  }
  await expect(threads.recommend({ webshopId: shop.id, version: 1, history: history('a0'), limit: 3, includeSeen: false })).rejects.toBeInstanceOf(UnavailableError)
})

test('a thread that cannot open the store refuses its calls with 503, and does not hang them', async () => {
  const broken = new ThreadScorer(loadConfig({ DATA_DIR: '/proc/aisle-cannot-write-here' }), 1, quietLog)
  try {
    const call = broken.recommend({ webshopId: shop.id, version: 1, history: history('a0'), limit: 3, includeSeen: false })
    await expect(Promise.race([call, Bun.sleep(5_000).then(() => 'hung')])).rejects.toBeInstanceOf(UnavailableError)
  } finally {
    await broken.close()
  }
})
