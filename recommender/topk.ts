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
 * O(candidates · log limit) without allocating per candidate. Candidates scoring at or below
 * `floor` are skipped.
 */
export function topKOf(scores: Float64Array, candidates: ArrayLike<number>, limit: number, items: string[], exclude: ReadonlySet<string>, floor = -Infinity): ScoredItem[] {
  const idx = new Int32Array(limit)
  const score = new Float64Array(limit)
  let size = 0
  const better = (v: number, j: number, at: number) => v > score[at]! || (v === score[at]! && j < idx[at]!)
  for (let t = 0; t < candidates.length; t++) {
    const j = candidates[t]!
    const v = scores[j]!
    if (v <= floor) continue
    if (size === limit && !better(v, j, size - 1)) continue
    if (exclude.has(items[j]!)) continue
    // Binary search for the slot, then shift the tail by one.
    let lo = 0
    let hi = size
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (better(v, j, mid)) hi = mid
      else lo = mid + 1
    }
    const end = size < limit ? size++ : size - 1
    idx.copyWithin(lo + 1, lo, end)
    score.copyWithin(lo + 1, lo, end)
    idx[lo] = j
    score[lo] = v
  }
  const out: ScoredItem[] = new Array(size)
  for (let n = 0; n < size; n++) out[n] = { itemId: items[idx[n]!]!, score: score[n]! }
  return out
}

/** 0, 1, …, n − 1, shared per size: every item as a candidate. */
const ranges = new Map<number, Int32Array>()
export function allIndices(n: number): Int32Array {
  let r = ranges.get(n)
  if (!r) ranges.set(n, (r = Int32Array.from({ length: n }, (_, i) => i)))
  return r
}
