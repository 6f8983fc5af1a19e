// A webshop's interactions as a sparse user × item matrix (CSR), built from the store's pages.
// A cell holds the summed event weights of that user and item; cells at or below zero (a
// remove_from_cart that undid an add) are left out.

export interface Dataset {
  users: string[]
  items: string[]
  itemIndex: Map<string, number>
  /** CSR: row u spans rowPtr[u]..rowPtr[u+1] of colIdx/values/lastSeen. */
  rowPtr: Int32Array
  colIdx: Int32Array
  values: Float32Array
  /** Epoch ms of the latest interaction of each cell. */
  lastSeen: Float64Array
  /** Per item: its positive event weights, each halved every TREND_HALF_LIFE_DAYS before the newest event in the data. */
  trend: Float64Array
}

/** Half-life of an event in the trend score; 7 days won on OR-T against 14 and 30, and against a 30-day window. */
export const TREND_HALF_LIFE_DAYS = 7
const TREND_HALF_LIFE_MS = TREND_HALF_LIFE_DAYS * 86_400_000

export interface RawInteraction {
  userId: string
  itemId: string
  weight: number
  timestamp: number
}

export class DatasetBuilder {
  private readonly userIndex = new Map<string, number>()
  private readonly itemIndex = new Map<string, number>()
  private readonly users: string[] = []
  private readonly items: string[] = []
  private readonly rows: Map<number, { w: number; t: number }>[] = []
  // Per item, a decayed sum kept relative to the item's own newest event (no overflow, exact).
  private readonly trendSum: number[] = []
  private readonly trendAt: number[] = []

  add(userId: string, itemId: string, weight: number, timestamp: number): void {
    let u = this.userIndex.get(userId)
    if (u === undefined) {
      u = this.users.length
      this.userIndex.set(userId, u)
      this.users.push(userId)
      this.rows.push(new Map())
    }
    let i = this.itemIndex.get(itemId)
    if (i === undefined) {
      i = this.items.length
      this.itemIndex.set(itemId, i)
      this.items.push(itemId)
      this.trendSum.push(0)
      this.trendAt.push(timestamp)
    }
    if (weight > 0) {
      const at = this.trendAt[i]!
      if (timestamp > at) {
        this.trendSum[i] = this.trendSum[i]! * 0.5 ** ((timestamp - at) / TREND_HALF_LIFE_MS) + weight
        this.trendAt[i] = timestamp
      } else this.trendSum[i]! += weight * 0.5 ** ((at - timestamp) / TREND_HALF_LIFE_MS)
    }
    const row = this.rows[u]!
    const cell = row.get(i)
    if (cell) {
      cell.w += weight
      if (timestamp > cell.t) cell.t = timestamp
    } else row.set(i, { w: weight, t: timestamp })
  }

  build(): Dataset {
    let nnz = 0
    for (const row of this.rows) for (const cell of row.values()) if (cell.w > 0) nnz++
    const rowPtr = new Int32Array(this.users.length + 1)
    const colIdx = new Int32Array(nnz)
    const values = new Float32Array(nnz)
    const lastSeen = new Float64Array(nnz)
    let k = 0
    this.rows.forEach((row, u) => {
      const cells = [...row.entries()].filter(([, c]) => c.w > 0).sort((a, b) => a[0] - b[0])
      for (const [i, c] of cells) {
        colIdx[k] = i
        values[k] = c.w
        lastSeen[k] = c.t
        k++
      }
      rowPtr[u + 1] = k
    })
    const newest = this.trendAt.reduce((a, b) => Math.max(a, b), -Infinity)
    const trend = Float64Array.from(this.trendSum, (sum, i) => sum * 0.5 ** ((newest - this.trendAt[i]!) / TREND_HALF_LIFE_MS))
    return { users: this.users, items: this.items, itemIndex: this.itemIndex, rowPtr, colIdx, values, lastSeen, trend }
  }
}

export function datasetFrom(interactions: RawInteraction[]): Dataset {
  const builder = new DatasetBuilder()
  for (const e of interactions) builder.add(e.userId, e.itemId, e.weight, e.timestamp)
  return builder.build()
}
