// The recommend path's kept answers: served only for the exact version they were computed for,
// and bounded, the least recently used leaving first.
import { expect, test } from 'bun:test'
import type { Store } from '../../core/store/store'
import { ModelCache, type RecommendResult } from '../../recommender/serving'

const result = (itemId: string): RecommendResult => ({ items: [{ itemId, score: 1 }], algorithm: 'ease', modelVersion: 1 })

test('an answer serves only the version of its inputs it was computed for', () => {
  const cache = new ModelCache({} as Store, 5_000, 10)
  cache.remember('shop\nu1\n10\n0', '1\n0\n5', result('a'))
  expect(cache.answer('shop\nu1\n10\n0', '1\n0\n5')).toEqual(result('a'))
  expect(cache.answer('shop\nu1\n10\n0', '1\n0\n6')).toBeUndefined() // a new event
  expect(cache.answer('shop\nu1\n10\n0', '2\n0\n5')).toBeUndefined() // a new model
  expect(cache.answer('shop\nu2\n10\n0', '1\n0\n5')).toBeUndefined()
})

test('keeps at most its size, dropping the least recently used; forgets a deleted shop', () => {
  const cache = new ModelCache({} as Store, 5_000, 2)
  cache.remember('shop\nu1', 'v', result('a'))
  cache.remember('shop\nu2', 'v', result('b'))
  expect(cache.answer('shop\nu1', 'v')).toBeDefined() // u1 is now the most recently used
  cache.remember('shop\nu3', 'v', result('c'))
  expect(cache.answer('shop\nu2', 'v')).toBeUndefined()
  expect(cache.answer('shop\nu1', 'v')).toEqual(result('a'))
  expect(cache.answer('shop\nu3', 'v')).toEqual(result('c'))
  cache.remember('other\nu1', 'v', result('d'))
  cache.forget('shop')
  expect(cache.answer('shop\nu1', 'v')).toBeUndefined()
  expect(cache.answer('other\nu1', 'v')).toEqual(result('d'))
})
