import { expect, test } from 'bun:test'
import { decodeModel, encodeModel } from '../../recommender/codec'
import { Ease, easeWeights } from '../../recommender/ease'
import { Hybrid } from '../../recommender/hybrid'
import { Ials } from '../../recommender/ials'
import { invertSpdInPlace } from '../../recommender/linalg'
import { datasetFrom, TREND_HALF_LIFE_DAYS, type RawInteraction } from '../../recommender/dataset'
import type { RecommenderInterface } from '../../recommender/interface'
import { ItemKnn } from '../../recommender/itemknn'
import { MostPopular, Trending } from '../../recommender/popular'
import { historyFrom } from '../../recommender/serving'

const DAY = 86_400_000
const none = new Set<string>()

/** C = A·B for n×n row-major matrices: the direct check of the inverses below. */
function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j]! += a[i * n + k]! * b[k * n + j]!
  return c
}

// Two taste clusters: users 1–4 like a*, users 5–8 like b*; x is bought by everyone once.
function clusters(): RawInteraction[] {
  const out: RawInteraction[] = []
  for (let u = 1; u <= 8; u++) {
    const c = u <= 4 ? 'a' : 'b'
    for (let i = 1; i <= 4; i++) if (!(u === 1 && i > 2)) out.push({ userId: `u${u}`, itemId: `${c}${i}`, weight: 8, timestamp: u * DAY })
    out.push({ userId: `u${u}`, itemId: 'x', weight: 1, timestamp: u * DAY })
  }
  return out
}

test('the dataset sums weights per cell and drops cells at or below zero', () => {
  const d = datasetFrom([
    { userId: 'u', itemId: 'i', weight: 4, timestamp: 1 },
    { userId: 'u', itemId: 'i', weight: -2, timestamp: 5 },
    { userId: 'u', itemId: 'j', weight: 4, timestamp: 2 },
    { userId: 'u', itemId: 'j', weight: -4, timestamp: 3 },
  ])
  expect([...d.colIdx].map((i) => d.items[i])).toEqual(['i'])
  expect([...d.values]).toEqual([2])
  expect([...d.lastSeen]).toEqual([5])
})

test('ItemKNN recommends within the taste cluster and never what was excluded', () => {
  const model = ItemKnn.train(datasetFrom(clusters()), { neighbours: 10, shrinkage: 0, repeatWeight: 4 })
  const history = new Map([['a1', { weight: 8, lastSeen: 0 }], ['a2', { weight: 8, lastSeen: 0 }]])
  const recs = model.recommend(history, { limit: 2, exclude: new Set(['a1', 'a2']) })
  expect(recs.map((r) => r.itemId).sort()).toEqual(['a3', 'a4'])
  expect(recs[0]!.score).toBeGreaterThan(0)
  const similar = model.similar('b1', { limit: 3, exclude: none })
  expect(similar.map((r) => r.itemId).sort()).toEqual(['b2', 'b3', 'b4'])
})

test('ItemKNN similarity is the shrunk cosine of item columns', () => {
  // Columns on log1p(weight): i = [1,1,0], j = [1,0,1] (weight e−1 gives log1p = 1).
  const w = Math.E - 1
  const d = datasetFrom([
    { userId: 'u1', itemId: 'i', weight: w, timestamp: 0 },
    { userId: 'u2', itemId: 'i', weight: w, timestamp: 0 },
    { userId: 'u1', itemId: 'j', weight: w, timestamp: 0 },
    { userId: 'u3', itemId: 'j', weight: w, timestamp: 0 },
  ])
  const shrink = 1
  const [sim] = ItemKnn.train(d, { neighbours: 5, shrinkage: shrink, repeatWeight: 0 }).similar('i', { limit: 1, exclude: none })
  expect(sim!.itemId).toBe('j')
  expect(sim!.score).toBeCloseTo(1 / (Math.SQRT2 * Math.SQRT2 + shrink), 5)
})

test("where seen items are allowed, a user's own favourites come back first", () => {
  const model = ItemKnn.train(datasetFrom(clusters()), ItemKnn.defaultParams)
  const history = new Map([['a1', { weight: 80, lastSeen: 0 }], ['a2', { weight: 8, lastSeen: 0 }]])
  const withSeen = model.recommend(history, { limit: 4, exclude: none }).map((r) => r.itemId)
  expect(withSeen[0]).toBe('a1')
  expect(withSeen).toContain('a2')
  const without = model.recommend(history, { limit: 4, exclude: new Set(history.keys()) }).map((r) => r.itemId)
  expect(without).not.toContain('a1')
  expect(without.slice(0, 2).sort()).toEqual(['a3', 'a4'])
})

test('a cold user gets trending items from ItemKNN: the recently bought first', () => {
  const model = ItemKnn.train(datasetFrom(clusters()), ItemKnn.defaultParams)
  const recs = model.recommend(new Map(), { limit: 3, exclude: none })
  expect(recs).toHaveLength(3)
  // Users 5–8 (cluster b) bought last, so b items lead; equal scores keep first-seen order.
  expect(recs.map((r) => r.itemId)).toEqual(['b1', 'b2', 'b3'])
})

test('models survive serialisation unchanged', () => {
  const data = datasetFrom(clusters())
  for (const algo of [ItemKnn, MostPopular, Trending] as RecommenderInterface<any>[]) {
    const model = algo.train(data, algo.defaultParams)
    const copy = algo.deserialize(model.serialize())
    const history = new Map([['a1', { weight: 8, lastSeen: 0 }]])
    expect(copy.recommend(history, { limit: 5, exclude: none })).toEqual(model.recommend(history, { limit: 5, exclude: none }))
  }
})

test('trending decays each event by its age; most popular does not', () => {
  const data = datasetFrom([
    { userId: 'u1', itemId: 'old', weight: 10, timestamp: 0 },
    { userId: 'u2', itemId: 'new', weight: 4, timestamp: 100 * DAY },
  ])
  expect(MostPopular.train(data, {}).recommend(new Map(), { limit: 1, exclude: none })[0]!.itemId).toBe('old')
  const trending = Trending.train(data, {}).recommend(new Map(), { limit: 2, exclude: none })
  expect(trending[0]!.itemId).toBe('new')
  expect(trending[1]!.score).toBeCloseTo((10 * 0.5 ** (100 / TREND_HALF_LIFE_DAYS)) / 4, 6)
})

test('update folds new interactions into popularity', () => {
  const model = MostPopular.train(datasetFrom([{ userId: 'u', itemId: 'a', weight: 2, timestamp: 0 }]), {})
  const updated = model.update([{ userId: 'v', itemId: 'b', weight: 5, timestamp: 1 }])
  expect(updated.recommend(new Map(), { limit: 2, exclude: none }).map((r) => r.itemId)).toEqual(['b', 'a'])
})

test('the codec round-trips typed arrays and the header', () => {
  const bytes = encodeModel({ hello: ['w', 1] }, { a: new Float32Array([1.5, -2]), b: new Int32Array([7]), c: new Float64Array([Math.PI]) })
  const { header, arrays } = decodeModel<{ hello: unknown[] }>(bytes)
  expect(header).toEqual({ hello: ['w', 1] })
  expect([...arrays.a!]).toEqual([1.5, -2])
  expect([...arrays.b!]).toEqual([7])
  expect(arrays.c![0]).toBe(Math.PI)
  expect(() => decodeModel(new Uint8Array(16))).toThrow('not an Aisle model')
})

test('history sums event weights per item with the shop weights', () => {
  const e = (itemId: string, type: string, t: number) => ({ eventId: `${itemId}${t}`, userId: 'u', itemId, type, timestamp: new Date(t), receivedAt: new Date(t) })
  const h = historyFrom([e('i', 'view', 1), e('i', 'purchase', 3), e('j', 'unknown', 2)], { view: 1, purchase: 8 })
  expect(h.get('i')).toEqual({ weight: 9, lastSeen: 3 })
  expect(h.get('j')).toEqual({ weight: 0, lastSeen: 2 })
})

test('the SPD inverse times the matrix is the identity', () => {
  const n = 6
  const a = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (i === j ? n : 0) + 1 / (1 + i + j)
  const inv = a.slice()
  invertSpdInPlace(inv, n)
  const product = multiply(a, inv, n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(product[i * n + j]!).toBeCloseTo(i === j ? 1 : 0, 10)
  expect(() => invertSpdInPlace(new Float64Array([0, 1, 1, 0]), 2)).toThrow('not positive definite')
})

test("EASE's closed form satisfies its defining equations", () => {
  // With P = (G + λI)⁻¹ and B = I − P·diag(P)⁻¹: (G + λI)·B = (G + λI) − diag(P)⁻¹, so off the
  // diagonal it equals G, and B's own diagonal is zero.
  const n = 4
  const x = [
    [1, 1, 0, 0],
    [1, 1, 1, 0],
    [0, 1, 1, 1],
    [0, 0, 1, 1],
    [1, 0, 0, 1],
  ]
  const gram = new Float64Array(n * n)
  for (const row of x) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gram[i * n + j]! += row[i]! * row[j]!
  const lambda = 2
  const regularised = gram.slice()
  for (let i = 0; i < n; i++) regularised[i * n + i]! += lambda
  const b = easeWeights(gram.slice(), n, lambda)
  const product = multiply(regularised, b, n)
  for (let j = 0; j < n; j++) {
    expect(b[j * n + j]).toBe(0)
    for (let i = 0; i < n; i++) if (i !== j) expect(product[i * n + j]!).toBeCloseTo(gram[i * n + j]!, 10)
  }
})

test('EASE recommends within the taste cluster', () => {
  const model = Ease.train(datasetFrom(clusters()), { lambda: 1, maxItems: 100, neighbours: 10, repeatWeight: 4 })
  const history = new Map([['b1', { weight: 8, lastSeen: 0 }], ['b2', { weight: 8, lastSeen: 0 }]])
  expect(model.recommend(history, { limit: 2, exclude: new Set(['b1', 'b2']) }).map((r) => r.itemId).sort()).toEqual(['b3', 'b4'])
  const copy = Ease.deserialize(model.serialize())
  expect(copy.recommend(history, { limit: 3, exclude: none })).toEqual(model.recommend(history, { limit: 3, exclude: none }))
})

test('iALS recommends within the taste cluster, deterministically, and survives serialisation', () => {
  const params = { ...Ials.defaultParams, factors: 8, iterations: 10, lambda: 0.1, alpha: 1 }
  const model = Ials.train(datasetFrom(clusters()), params)
  const history = new Map([['a1', { weight: 8, lastSeen: 0 }], ['a2', { weight: 8, lastSeen: 0 }]])
  const recs = model.recommend(history, { limit: 2, exclude: new Set(['a1', 'a2', 'x']) })
  expect(recs.map((r) => r.itemId).sort()).toEqual(['a3', 'a4'])
  expect(Ials.train(datasetFrom(clusters()), params).recommend(history, { limit: 5, exclude: none })).toEqual(model.recommend(history, { limit: 5, exclude: none }))
  const copy = Ials.deserialize(model.serialize())
  expect(copy.recommend(history, { limit: 5, exclude: none })).toEqual(model.recommend(history, { limit: 5, exclude: none }))
  expect(model.similar('b1', { limit: 3, exclude: none }).map((r) => r.itemId).sort()).toEqual(['b2', 'b3', 'b4'])
})

test('the EASE + iALS blend ranks within the cluster and survives serialisation', () => {
  const model = Hybrid.train(datasetFrom(clusters()), Hybrid.defaultParams)
  const history = new Map([['b1', { weight: 8, lastSeen: 0 }], ['b2', { weight: 8, lastSeen: 0 }]])
  const recs = model.recommend(history, { limit: 2, exclude: new Set(['b1', 'b2', 'x']) })
  expect(recs.map((r) => r.itemId).sort()).toEqual(['b3', 'b4'])
  expect(recs[0]!.score).toBeLessThanOrEqual(1)
  const copy = Hybrid.deserialize(model.serialize())
  expect(copy.algorithm).toBe('ease+ials')
  expect(copy.recommend(history, { limit: 4, exclude: none })).toEqual(model.recommend(history, { limit: 4, exclude: none }))
})

test('the trend score decays every event on its own, whatever the order it came in', () => {
  const DAY = 86_400_000
  const h = TREND_HALF_LIFE_DAYS
  const d = datasetFrom([
    { userId: 'u1', itemId: 'i', weight: 8, timestamp: 10 * DAY },
    { userId: 'u1', itemId: 'i', weight: 8, timestamp: 0 }, // late arrival, same cell
    { userId: 'u2', itemId: 'i', weight: -2, timestamp: 12 * DAY }, // negative weights do not trend
    { userId: 'u2', itemId: 'j', weight: 1, timestamp: 20 * DAY },
  ])
  const i = d.itemIndex.get('i')!
  expect(d.trend[i]!).toBeCloseTo(8 * 0.5 ** (10 / h) + 8 * 0.5 ** (20 / h), 10)
  expect(d.trend[d.itemIndex.get('j')!]!).toBeCloseTo(1, 10)
})
