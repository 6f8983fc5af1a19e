import { expect, test } from 'bun:test'
import type { RawInteraction } from '../../recommender/dataset'
import { ItemKnn } from '../../recommender/itemknn'
import { MostPopular } from '../../recommender/popular'
import { selectAlgorithm } from '../../recommender/selection'

// 40 users in two taste clusters. Cluster b is bigger, so popularity points everyone at b; a
// user's next item is in their own cluster, which only a personalised model gets right.
function shop(): RawInteraction[] {
  const out: RawInteraction[] = []
  for (let u = 0; u < 40; u++) {
    const cluster = u < 15 ? 'a' : 'b'
    for (let i = 0; i < 6; i++) out.push({ userId: `u${u}`, itemId: `${cluster}${(u + i) % 20}`, weight: 8, timestamp: i * 1000 + u })
  }
  return out
}

test('keeps the candidate with the best holdout NDCG@10 and reports every candidate', async () => {
  const stages: string[] = []
  const s = await selectAlgorithm(shop(), [MostPopular, ItemKnn], 'most_popular', (stage) => void stages.push(stage))
  expect(s.testUsers).toBeGreaterThanOrEqual(5)
  expect(s.candidates.map((c) => c.algorithm)).toEqual(['most_popular', 'item_knn'])
  const [pop, knn] = s.candidates as [(typeof s.candidates)[0], (typeof s.candidates)[0]]
  expect(knn.score).toBeGreaterThan(pop.score)
  expect(s.chosen).toBe('item_knn')
  expect(stages).toEqual(['evaluating most_popular (1/2)', 'evaluating item_knn (2/2)'])
})

test('falls back when the holdout is too small to compare', async () => {
  const s = await selectAlgorithm(shop().slice(0, 12), [MostPopular, ItemKnn], 'item_knn')
  expect(s).toMatchObject({ chosen: 'item_knn', candidates: [] })
  expect((await selectAlgorithm([], [MostPopular], 'item_knn')).chosen).toBe('item_knn')
})
