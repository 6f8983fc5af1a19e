// Top-k selection over a scored candidate set, with a deterministic order for equal scores.
import type { ScoredItem } from './interface'

export function topK(candidates: Iterable<[number, number]>, k: number, items: string[], exclude: ReadonlySet<string>): ScoredItem[] {
  const out: [number, number][] = []
  for (const [i, score] of candidates) if (!exclude.has(items[i]!)) out.push([i, score])
  out.sort((a, b) => b[1] - a[1] || a[0] - b[0])
  return out.slice(0, k).map(([i, score]) => ({ itemId: items[i]!, score }))
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
