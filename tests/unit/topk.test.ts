// Top-k selection against the obvious reference (filter, sort everything, slice), on random
// inputs full of ties, exclusions and a floor.
import { expect, test } from 'bun:test'
import { topKOf } from '../../recommender/topk'

/** Mulberry32: the same cases on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function reference(scores: Float64Array, candidates: Int32Array, limit: number, items: string[], exclude: Set<string>, floor: number) {
  return [...candidates]
    .filter((j) => scores[j]! > floor && !exclude.has(items[j]!))
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, limit)
    .map((j) => ({ itemId: items[j]!, score: scores[j]! }))
}

test('the best `limit` candidates, highest first, ties by index, excluded and floored ones skipped', () => {
  const rand = random(7)
  for (let trial = 0; trial < 2000; trial++) {
    const n = 1 + Math.floor(rand() * 300)
    const items = Array.from({ length: n }, (_, i) => `item-${i}`)
    // Few distinct values, so that ties are everywhere.
    const scores = Float64Array.from({ length: n }, () => Math.floor(rand() * 12) / 4 - 1)
    // A subset in shuffled order, as the touched list of a request is.
    const candidates = Int32Array.from(items.keys()).filter(() => rand() < 0.8)
    for (let i = candidates.length - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1))
      ;[candidates[i], candidates[k]] = [candidates[k]!, candidates[i]!]
    }
    const exclude = new Set(items.filter(() => rand() < 0.2))
    const limit = Math.floor(rand() * 40)
    const floor = rand() < 0.5 ? -Infinity : 0
    expect(topKOf(scores, candidates, limit, items, exclude, floor)).toEqual(reference(scores, candidates, limit, items, exclude, floor))
  }
})

test('fewer candidates than the limit: all of them, in order', () => {
  const items = ['a', 'b', 'c', 'd']
  const scores = Float64Array.from([0.5, 2, 0.5, -1])
  expect(topKOf(scores, Int32Array.from([3, 2, 1, 0]), 10, items, new Set(['b']))).toEqual([
    { itemId: 'a', score: 0.5 },
    { itemId: 'c', score: 0.5 },
    { itemId: 'd', score: -1 },
  ])
})
