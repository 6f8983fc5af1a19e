// `bun run eval`: protocol OR-T (bench/data/online-retail/README.md) on a real webshop's purchase
// log, through the service's own code: the dataset builder, the algorithms of the registry and
// their recommend() on each user's history. Prints one table per protocol.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { DEFAULT_EVENT_WEIGHTS } from '../core/schemas'
import { datasetFrom, type RawInteraction } from '../recommender/dataset'
import { evaluate, historiesOf, timeSplit, type Evaluation } from '../recommender/evaluation'
import type { History, TrainedModel } from '../recommender/interface'
import { DEFAULT_ALGORITHM, registry } from '../recommender/registry'
import { selectAlgorithm } from '../recommender/selection'

const CUT = Date.parse('2011-11-09T00:00:00Z')
const file = join(import.meta.dir, 'data/online-retail/online-retail.csv.gz')

/** RFC 4180 fields of one line (a Description may hold commas inside quotes). */
function fields(line: string): string[] {
  const out: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') out.push(field), (field = '')
    else field += c
  }
  out.push(field)
  return out
}

export function loadOnlineRetail(): RawInteraction[] {
  const lines = new TextDecoder().decode(gunzipSync(readFileSync(file))).split("\n")
  const out: RawInteraction[] = []
  const weight = DEFAULT_EVENT_WEIGHTS.purchase!
  for (const line of lines.slice(1)) {
    if (!line) continue
    const [invoice, stockCode, , quantity, date, , customer] = fields(line.trimEnd())
    if (!customer || !invoice || invoice.startsWith('C') || Number(quantity) <= 0) continue
    out.push({ userId: customer, itemId: stockCode!, weight, timestamp: Date.parse(`${date!.replace(' ', 'T')}Z`) })
  }
  return out
}

/** "Buy again": the user's own items by frequency, then recency. A baseline, not a model. */
const buyAgain = (history: History, k: number) =>
  [...history].sort((a, b) => b[1].weight - a[1].weight || b[1].lastSeen - a[1].lastSeen).slice(0, k).map(([item]) => item)

interface Row extends Evaluation {
  name: string
  trainSeconds: number | null
  peakRssMb: number
}

const row = (name: string, e: Evaluation, trainSeconds: number | null): Row => ({ name, ...e, trainSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024 })

function print(protocol: string, rows: Row[]) {
  const f = (x: number) => x.toFixed(4)
  console.log(`\nOR-T/${protocol} (${rows[0]?.users ?? 0} test users)`)
  console.log('| algorithm | Recall@10 | NDCG@10 | HitRate@10 | Recall@20 | NDCG@20 | coverage@10 | train s | peak RSS MB |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(`| ${r.name} | ${f(r.k10.recall)} | ${f(r.k10.ndcg)} | ${f(r.k10.hit)} | ${f(r.k20.recall)} | ${f(r.k20.ndcg)} | ${f(r.coverage)} | ${r.trainSeconds === null ? '—' : r.trainSeconds.toFixed(2)} | ${r.peakRssMb.toFixed(0)} |`)
  }
}

if (import.meta.main) {
  const interactions = loadOnlineRetail()
  const split = timeSplit(interactions, CUT)
  const histories = historiesOf(split.train)
  const data = datasetFrom(split.train)
  console.log(`${interactions.length} interactions; train ${split.train.length} (${data.users.length} users, ${data.items.length} items); ${split.test.size} test users`)
  const results: Record<'all' | 'new', Row[]> = { all: [], new: [] }
  const models: [string, TrainedModel, number][] = []
  for (const algo of registry.values()) {
    const started = performance.now()
    const model = algo.train(data, algo.defaultParams)
    models.push([algo.name, model, (performance.now() - started) / 1000])
  }
  for (const protocol of ['all', 'new'] as const) {
    if (protocol === 'all') results.all.push(row('buy again (baseline)', evaluate((h) => buyAgain(h, 20), 'all', split, histories, data.items.length), null))
    for (const [name, model, seconds] of models) {
      results[protocol].push(row(name, evaluate((h, exclude) => model.recommend(h, { limit: 20, exclude }).map((r) => r.itemId), protocol, split, histories, data.items.length), seconds))
    }
    print(protocol, results[protocol])
  }
  // What POST /train/ would pick for this shop, on a holdout of the training period only.
  const selection = await selectAlgorithm(split.train, [...registry.values()], DEFAULT_ALGORITHM)
  console.log(`\nPOST /train/ would choose: ${selection.chosen} (holdout of the newest 10%: ${selection.testUsers} users)`)
  for (const c of selection.candidates) console.log(`  ${c.algorithm}: NDCG@10 all ${c.ndcgAll.toFixed(4)}, new ${c.ndcgNew.toFixed(4)}, ${c.trainSeconds.toFixed(2)} s`)
  await Bun.write(join(import.meta.dir, 'results/eval.json'), JSON.stringify({ results, selection }, null, 2))
}
