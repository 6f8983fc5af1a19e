// EASE (Steck 2019): the item-item matrix B that best reconstructs X from X·B with a zero
// diagonal, in closed form: P = (XᵀX + λI)⁻¹, B = I − P·diag(1/diag(P)), on binary X (who
// interacted with what). Dense in the number of items, so it keeps the `maxItems` items with the
// most users and leaves the rarest to popularity; B is pruned to each row's top `neighbours`
// for storage (a model must fit a 16 MB MongoDB document) and serving.
import type { Dataset } from './dataset'
import type { RecommenderInterface } from './interface'
import { deserializeItemItem, ItemItemModel } from './item-item'
import { invertSpdInPlace } from './linalg'
import { PopularModel } from './popular'

export interface EaseParams {
  lambda: number
  maxItems: number
  neighbours: number
  repeatWeight: number
}

/** The closed-form EASE weights for an n-item Gram matrix (consumed: it becomes P). */
export function easeWeights(gram: Float64Array, n: number, lambda: number): Float64Array {
  for (let i = 0; i < n; i++) gram[i * n + i]! += lambda
  invertSpdInPlace(gram, n)
  const p = gram
  const diag = new Float64Array(n)
  for (let j = 0; j < n; j++) diag[j] = p[j * n + j]!
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) p[i * n + j] = i === j ? 0 : -p[i * n + j]! / diag[j]!
  }
  return p
}

export function trainEase(data: Dataset, { lambda, maxItems, neighbours: k, repeatWeight }: EaseParams): ItemItemModel {
  const nItems = data.items.length
  const users = new Int32Array(nItems)
  for (const i of data.colIdx) users[i]!++
  const kept = [...users.keys()].filter((i) => users[i]! > 0).sort((a, b) => users[b]! - users[a]! || a - b).slice(0, maxItems)
  const n = kept.length
  const position = new Int32Array(nItems).fill(-1)
  kept.forEach((item, p) => (position[item] = p))

  const gram = new Float64Array(n * n)
  const rowPos: number[] = []
  for (let u = 0; u + 1 < data.rowPtr.length; u++) {
    rowPos.length = 0
    for (let q = data.rowPtr[u]!; q < data.rowPtr[u + 1]!; q++) {
      const p = position[data.colIdx[q]!]!
      if (p < 0) continue
      rowPos.push(p)
    }
    for (let a = 0; a < rowPos.length; a++) {
      const ra = rowPos[a]! * n
      for (let b = 0; b < rowPos.length; b++) gram[ra + rowPos[b]!]! += 1
    }
  }
  const b = easeWeights(gram, n, lambda)

  const neighbours = new Int32Array(nItems * k).fill(-1)
  const sims = new Float32Array(nItems * k)
  const order = new Int32Array(n)
  for (let p = 0; p < n; p++) {
    const row = p * n
    for (let j = 0; j < n; j++) order[j] = j
    const best = [...order].filter((j) => b[row + j]! > 0).sort((x, y) => b[row + y]! - b[row + x]! || x - y).slice(0, k)
    const item = kept[p]!
    best.forEach((j, slot) => {
      neighbours[item * k + slot] = kept[j]!
      sims[item * k + slot] = b[row + j]!
    })
  }
  return new ItemItemModel('ease', data.items, k, neighbours, sims, new PopularModel('trending', data.items, data.trend), repeatWeight, true)
}

export const Ease: RecommenderInterface<EaseParams> = {
  name: 'ease',
  // Chosen on OR-T (bun run eval): binary X with λ = 500 beat log-weighted X at any λ from 50 to
  // 4,000 on OR-T/new; 3,000 items gained nothing; 2,000 keep training near 8 s on 2 cores (the
  // inversion is n³); 300 links per item lose 0.0003 NDCG@10 against 1,000.
  defaultParams: { lambda: 500, maxItems: 2000, neighbours: 300, repeatWeight: 4 },
  train: trainEase,
  deserialize: deserializeItemItem,
}
