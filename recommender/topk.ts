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
