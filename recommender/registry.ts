// Every algorithm a webshop can be served by. A new algorithm implements RecommenderInterface
// and is listed here; nothing else changes.
import { Ease } from './ease'
import { Hybrid } from './hybrid'
import { Ials } from './ials'
import type { RecommenderInterface } from './interface'
import { ItemKnn } from './itemknn'
import { MostPopular, Trending } from './popular'

const ALGORITHMS: RecommenderInterface<any>[] = [MostPopular, Trending, ItemKnn, Ease, Ials, Hybrid]

export const registry = new Map<string, RecommenderInterface<any>>(ALGORITHMS.map((a) => [a.name, a]))

export function getRecommender(name: string): RecommenderInterface<any> {
  const algorithm = registry.get(name)
  if (!algorithm) throw new Error(`unknown algorithm ${name}`)
  return algorithm
}

/** What POST /train/ fits when the caller names nothing else. */
export const DEFAULT_ALGORITHM = ItemKnn.name
