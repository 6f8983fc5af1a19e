// Top-k selection over a scored candidate set, with a deterministic order for equal scores.
import type { ScoredItem } from './interface'

const before = (a: [number, number], b: [number, number]) => a[1] > b[1] || (a[1] === b[1] && a[0] < b[0])

/** The best `k` candidates ([index, score]), highest first, ties by index; no sort of the rest. */
export function topK(candidates: Iterable<[number, number]>, k: number, items: string[], exclude: ReadonlySet<string>): ScoredItem[] {
  const best: [number, number][] = []
  for (const c of candidates) {
    if (best.length === k && !before(c, best[k - 1]!)) continue
    if (exclude.has(items[c[0]]!)) continue
    let at = best.length
    while (at > 0 && before(c, best[at - 1]!)) at--
    best.splice(at, 0, c)
    if (best.length > k) best.pop()
  }
  return best.map(([i, score]) => ({ itemId: items[i]!, score }))
}

/** Appends items from `fallback` (already ranked) until `limit`, skipping excluded and present ones. */
export function fillFrom(result: ScoredItem[], fallback: ScoredItem[], limit: number, exclude: ReadonlySet<string>): ScoredItem[] {
  if (result.length >= limit) return result
  const present = new Set(result.map((r) => r.itemId))
  for (const item of fallback) {
    if (result.length >= limit) break
    if (exclude.has(item.itemId) || present.has(item.itemId)) continue
    result.push(item)
  }
  return result
}

/**
 * The `limit` best of `candidates` (indices into `scores`), highest first, ties by index, in
 * O(candidates · log limit) without allocating per candidate: the best so far are kept in a heap
 * whose root is the weakest of them, so most candidates cost one comparison. Candidates scoring
 * at or below `floor` are skipped.
 */
export function topKOf(scores: Float64Array, candidates: ArrayLike<number>, limit: number, items: string[], exclude: ReadonlySet<string>, floor = -Infinity): ScoredItem[] {
  if (limit <= 0) return []
  const idx = new Int32Array(limit)
  const score = new Float64Array(limit)
  let size = 0
  for (let t = 0; t < candidates.length; t++) {
    const j = candidates[t]!
    const v = scores[j]!
    if (v <= floor) continue
    // Full: only a candidate that beats the weakest kept one gets in, in its place.
    if (size === limit && !(v > score[0]! || (v === score[0]! && j < idx[0]!))) continue
    if (exclude.has(items[j]!)) continue
    if (size < limit) siftUp(idx, score, size++, j, v)
    else siftDown(idx, score, size, 0, j, v)
  }
  // Taking the weakest out one at a time fills the answer from its end.
  const out: ScoredItem[] = new Array(size)
  for (let n = size - 1; n >= 0; n--) {
    out[n] = { itemId: items[idx[0]!]!, score: score[0]! }
    if (n > 0) siftDown(idx, score, n, 0, idx[n]!, score[n]!)
  }
  return out
}

/** Whether (v, j) ranks below (w, k): a lower score, or the same score and a later index. */
const weaker = (v: number, j: number, w: number, k: number) => v < w || (v === w && j > k)

/** Places (j, v) at slot `at` of the heap and moves it up past stronger parents. */
function siftUp(idx: Int32Array, score: Float64Array, at: number, j: number, v: number): void {
  while (at > 0) {
    const parent = (at - 1) >> 1
    if (!weaker(v, j, score[parent]!, idx[parent]!)) break
    idx[at] = idx[parent]!
    score[at] = score[parent]!
    at = parent
  }
  idx[at] = j
  score[at] = v
}

/** Places (j, v) at slot `at` of a heap of `size` and moves it down past weaker children. */
function siftDown(idx: Int32Array, score: Float64Array, size: number, at: number, j: number, v: number): void {
  for (;;) {
    let child = 2 * at + 1
    if (child >= size) break
    if (child + 1 < size && weaker(score[child + 1]!, idx[child + 1]!, score[child]!, idx[child]!)) child++
    if (!weaker(score[child]!, idx[child]!, v, j)) break
    idx[at] = idx[child]!
    score[at] = score[child]!
    at = child
  }
  idx[at] = j
  score[at] = v
}

/** 0, 1, …, n − 1, shared per size: every item as a candidate. */
const ranges = new Map<number, Int32Array>()
export function allIndices(n: number): Int32Array {
  let r = ranges.get(n)
  if (!r) ranges.set(n, (r = Int32Array.from({ length: n }, (_, i) => i)))
  return r
}
