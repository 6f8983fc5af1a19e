// iALS (Hu, Koren and Volinsky 2008): user and item factors fitted to implicit feedback with a
// confidence per interaction, c = 1 + α·interest, solved by alternating least squares. Each
// least-squares step runs a few conjugate-gradient iterations warm-started from the previous
// factors (Takács, Pilászy and Tikk 2011), so a step costs O(f² + n_u·f) per user, not O(f³).
// At request time the user's factors are solved from their live history against the fixed
// item factors, then every item is scored; the user's own items count as in item-item.ts.
import { decodeModel, encodeModel, nested, unnested } from './codec'
import type { Dataset } from './dataset'
import type { History, NewInteraction, RecommendOptions, RecommenderInterface, ScoredItem, TrainedModel } from './interface'
import { interest, ownItemBoosts } from './item-item'
import { PopularModel } from './popular'
import { allIndices, fillFrom, topK, topKOf } from './topk'

export interface IalsParams {
  factors: number
  iterations: number
  /** Confidence slope: c = 1 + alpha · interest. */
  alpha: number
  lambda: number
  /** Conjugate-gradient steps per least-squares solve while training. */
  cgSteps: number
  repeatWeight: number
}

/**
 * Conjugate-gradient steps for a user's factors at request time, from zero. Four would halve the
 * solve and hold offline (bun run eval), but through the service OR-T/new fell from 0.1000 to
 * 0.0997 (bun run eval:service), below its bar: eight it stays.
 */
const SERVE_CG_STEPS = 8

/** Deterministic small random numbers for the initial factors (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** G = FᵀF for an n×f factor matrix. */
function gram(factors: Float32Array, n: number, f: number): Float64Array {
  const g = new Float64Array(f * f)
  for (let r = 0; r < n; r++) {
    const row = r * f
    for (let a = 0; a < f; a++) {
      const va = factors[row + a]!
      if (va === 0) continue
      for (let b = a; b < f; b++) g[a * f + b]! += va * factors[row + b]!
    }
  }
  for (let a = 0; a < f; a++) for (let b = 0; b < a; b++) g[a * f + b] = g[b * f + a]!
  return g
}

/**
 * Solves (G + Σ_i (c_i − 1) y_i y_iᵀ + λI) x = Σ_i c_i y_i for x by conjugate gradients, starting
 * from (and writing to) x. `idx`/`conf` list the row's items and confidences in `other`.
 */
function solveRow(x: Float64Array, g: Float64Array, other: Float32Array, f: number, idx: ArrayLike<number>, conf: ArrayLike<number>, count: number, lambda: number, steps: number, scratch: Float64Array[]): void {
  const [r, p, ap] = scratch as [Float64Array, Float64Array, Float64Array]
  const applyA = (v: Float64Array, out: Float64Array) => {
    for (let a = 0; a < f; a++) {
      let s = lambda * v[a]!
      const ga = a * f
      for (let b = 0; b < f; b++) s += g[ga + b]! * v[b]!
      out[a] = s
    }
    for (let k = 0; k < count; k++) {
      const row = idx[k]! * f
      let dot = 0
      for (let a = 0; a < f; a++) dot += other[row + a]! * v[a]!
      const w = (conf[k]! - 1) * dot
      for (let a = 0; a < f; a++) out[a]! += w * other[row + a]!
    }
  }
  // r = b − A·x
  applyA(x, ap)
  r.fill(0)
  for (let k = 0; k < count; k++) {
    const row = idx[k]! * f
    const c = conf[k]!
    for (let a = 0; a < f; a++) r[a]! += c * other[row + a]!
  }
  let rr = 0
  for (let a = 0; a < f; a++) {
    r[a] = r[a]! - ap[a]!
    p[a] = r[a]!
    rr += r[a]! * r[a]!
  }
  for (let step = 0; step < steps && rr > 1e-12; step++) {
    applyA(p, ap)
    let pap = 0
    for (let a = 0; a < f; a++) pap += p[a]! * ap[a]!
    if (pap <= 0) break
    const alpha = rr / pap
    let next = 0
    for (let a = 0; a < f; a++) {
      x[a]! += alpha * p[a]!
      r[a]! -= alpha * ap[a]!
      next += r[a]! * r[a]!
    }
    const beta = next / rr
    for (let a = 0; a < f; a++) p[a] = r[a]! + beta * p[a]!
    rr = next
  }
}

/** scores[i] = item i's factors · x for every item; returns the highest. Four sums at a time. */
function scoreAll(factors: Float32Array, n: number, f: number, x: Float64Array, scores: Float64Array): number {
  let top = 0
  const f4 = f - (f % 4)
  for (let i = 0; i < n; i++) {
    const row = i * f
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    for (let a = 0; a < f4; a += 4) {
      s0 += factors[row + a]! * x[a]!
      s1 += factors[row + a + 1]! * x[a + 1]!
      s2 += factors[row + a + 2]! * x[a + 2]!
      s3 += factors[row + a + 3]! * x[a + 3]!
    }
    for (let a = f4; a < f; a++) s0 += factors[row + a]! * x[a]!
    const s = s0 + s1 + s2 + s3
    scores[i] = s
    if (s > top) top = s
  }
  return top
}

export class IalsModel implements TrainedModel {
  readonly algorithm = 'ials'
  private readonly index: Map<string, number>
  private readonly g: Float64Array
  private readonly scratch: Float64Array[]
  private scores: Float64Array | null = null

  constructor(
    private readonly items: string[],
    private readonly f: number,
    private readonly itemFactors: Float32Array,
    private readonly params: IalsParams,
    private readonly popular: PopularModel,
  ) {
    this.index = new Map(items.map((id, i) => [id, i]))
    this.g = gram(itemFactors, items.length, f)
    this.scratch = [new Float64Array(f), new Float64Array(f), new Float64Array(f), new Float64Array(f)]
  }

  recommend(history: History, options: RecommendOptions): ScoredItem[] {
    const idx: number[] = []
    const conf: number[] = []
    for (const [itemId, { weight }] of history) {
      const i = this.index.get(itemId)
      if (i === undefined || weight <= 0) continue
      idx.push(i)
      conf.push(1 + this.params.alpha * interest(weight))
    }
    const n = this.items.length
    // Reused (requests run one at a time on this thread); every entry is written before it is read.
    const scores = (this.scores ??= new Float64Array(n))
    if (idx.length > 0) {
      const x = this.scratch[3]!.fill(0)
      solveRow(x, this.g, this.itemFactors, this.f, idx, conf, idx.length, this.params.lambda, Math.max(this.params.cgSteps, SERVE_CG_STEPS), this.scratch)
      const top = scoreAll(this.itemFactors, n, this.f, x, scores)
      if (top > 0) for (let i = 0; i < n; i++) scores[i]! /= top
      for (const [i, boost] of ownItemBoosts(history, this.index, options.exclude)) scores[i]! += this.params.repeatWeight * boost
    }
    const ranked = idx.length > 0 ? topKOf(scores, allIndices(n), options.limit, this.items, options.exclude, 0) : []
    if (ranked.length >= options.limit) return ranked
    return fillFrom(ranked, this.popular.recommend(history, { limit: options.limit + history.size, exclude: options.exclude }).map((p) => ({ ...p, score: 0 })), options.limit, options.exclude)
  }

  similar(itemId: string, options: RecommendOptions): ScoredItem[] {
    const i = this.index.get(itemId)
    if (i === undefined) return []
    const f = this.f
    const norm = (r: number) => Math.sqrt(this.itemFactors.subarray(r * f, r * f + f).reduce((s, v) => s + v * v, 0)) || 1
    const ni = norm(i)
    const candidates: [number, number][] = []
    for (let j = 0; j < this.items.length; j++) {
      if (j === i) continue
      let dot = 0
      for (let a = 0; a < f; a++) dot += this.itemFactors[i * f + a]! * this.itemFactors[j * f + a]!
      candidates.push([j, dot / (ni * norm(j))])
    }
    return topK(candidates, options.limit, this.items, new Set([...options.exclude, itemId]))
  }

  /** Item factors change only on retraining; popularity takes new interactions at once. */
  update(interactions: NewInteraction[]): IalsModel {
    return new IalsModel(this.items, this.f, this.itemFactors, this.params, this.popular.update(interactions))
  }

  serialize(): Uint8Array {
    return encodeModel({ items: this.items, f: this.f, params: this.params }, { itemFactors: this.itemFactors, popular: nested(this.popular.serialize()) })
  }
}

export function trainIals(data: Dataset, params: IalsParams): IalsModel {
  const { factors: f, iterations, alpha, lambda, cgSteps } = params
  const nUsers = data.users.length
  const nItems = data.items.length
  const conf = Float64Array.from(data.values, (v) => 1 + alpha * interest(v))

  // Item-major copy (CSC) for the item half-steps.
  const colPtr = new Int32Array(nItems + 1)
  for (const i of data.colIdx) colPtr[i + 1]!++
  for (let i = 0; i < nItems; i++) colPtr[i + 1]! += colPtr[i]!
  const rowIdx = new Int32Array(data.colIdx.length)
  const colConf = new Float64Array(data.colIdx.length)
  const fill = colPtr.slice(0, nItems)
  for (let u = 0; u < nUsers; u++) {
    for (let q = data.rowPtr[u]!; q < data.rowPtr[u + 1]!; q++) {
      const at = fill[data.colIdx[q]!]!++
      rowIdx[at] = u
      colConf[at] = conf[q]!
    }
  }

  const rand = random(42)
  const scale = 0.1 / Math.sqrt(f)
  const userF = new Float32Array(nUsers * f).map(() => (rand() - 0.5) * scale)
  const itemF = new Float32Array(nItems * f).map(() => (rand() - 0.5) * scale)
  const x = new Float64Array(f)
  const scratch = [new Float64Array(f), new Float64Array(f), new Float64Array(f)]

  const halfStep = (target: Float32Array, nTarget: number, other: Float32Array, nOther: number, ptr: Int32Array, idx: Int32Array, c: Float64Array) => {
    const g = gram(other, nOther, f)
    for (let t = 0; t < nTarget; t++) {
      const start = ptr[t]!
      const count = ptr[t + 1]! - start
      const row = t * f
      for (let a = 0; a < f; a++) x[a] = target[row + a]!
      solveRow(x, g, other, f, idx.subarray(start, start + count), c.subarray(start, start + count), count, lambda, cgSteps, scratch)
      for (let a = 0; a < f; a++) target[row + a] = x[a]!
    }
  }
  for (let it = 0; it < iterations; it++) {
    halfStep(userF, nUsers, itemF, nItems, data.rowPtr, data.colIdx, conf)
    halfStep(itemF, nItems, userF, nUsers, colPtr, rowIdx, colConf)
  }
  return new IalsModel(data.items, f, itemF, params, new PopularModel('trending', data.items, data.trend))
}

export const Ials: RecommenderInterface<IalsParams> = {
  name: 'ials',
  // Chosen on OR-T (bun run eval): α from 0.25 to 40 and λ from 0.1 to 100 were tried; a low
  // confidence slope wins on this purchase log (OR-T/new NDCG@10 0.073 at α 10 → 0.0985).
  defaultParams: { factors: 64, iterations: 15, alpha: 0.5, lambda: 10, cgSteps: 3, repeatWeight: 4 },
  train: trainIals,
  deserialize(bytes) {
    const { header, arrays } = decodeModel<{ items: string[]; f: number; params: IalsParams }>(bytes)
    return new IalsModel(header.items, header.f, arrays.itemFactors as Float32Array, header.params, PopularModel.decode('trending', unnested(arrays.popular)))
  },
}
