import { expect, test } from 'bun:test'
import { meanMetrics, rankMetrics, timeSplit } from '../../recommender/evaluation'

test('metrics on a hand-computed example', () => {
  // Hits at ranks 1 and 3 of 5; truth has 4 items; K = 5.
  const m = rankMetrics(['a', 'x', 'b', 'y', 'z'], new Set(['a', 'b', 'c', 'd']), 5)
  expect(m.recall).toBeCloseTo(2 / 4)
  const dcg = 1 / Math.log2(2) + 1 / Math.log2(4)
  const idcg = 1 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(4) + 1 / Math.log2(5)
  expect(m.ndcg).toBeCloseTo(dcg / idcg, 10)
  expect(m.hit).toBe(1)
  // With K smaller than the truth, recall divides by K.
  expect(rankMetrics(['a', 'b'], new Set(['a', 'b', 'c']), 2)).toEqual({ recall: 1, ndcg: 1, hit: 1 })
  expect(rankMetrics(['x'], new Set(['a']), 1)).toEqual({ recall: 0, ndcg: 0, hit: 0 })
  expect(meanMetrics([{ recall: 1, ndcg: 0.5, hit: 1 }, { recall: 0, ndcg: 0, hit: 0 }])).toEqual({ recall: 0.5, ndcg: 0.25, hit: 0.5 })
})

test('the time split keeps test users with history on both sides', () => {
  const e = (userId: string, itemId: string, timestamp: number) => ({ userId, itemId, weight: 1, timestamp })
  const split = timeSplit([e('u1', 'a', 1), e('u1', 'b', 10), e('u1', 'b', 11), e('u2', 'a', 2), e('u3', 'c', 12)], 10)
  expect(split.train.map((x) => `${x.userId}${x.itemId}`)).toEqual(['u1a', 'u2a'])
  expect([...split.test.keys()]).toEqual(['u1'])
  expect([...split.test.get('u1')!]).toEqual(['b'])
})
