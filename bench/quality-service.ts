// `bun run eval:service`: protocol OR-T through the running service, as a webshop would use it.
// Starts `bun run dev` on a fresh embedded store, sends the training period through
// POST /events/, trains with POST /train/ (the service picks its algorithm), then asks
// GET /recommend/{user}/ for every test user: includeSeen=true for OR-T/all, the default for
// OR-T/new. Prints NDCG@10, Recall@10 and HitRate@10 of the model the service chose.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { meanMetrics, rankMetrics, timeSplit, type RankMetrics } from '../recommender/evaluation'
import { loadOnlineRetail } from './eval'

const CUT = Date.parse('2011-11-09T00:00:00Z')
const root = join(import.meta.dir, '..')

const interactions = loadOnlineRetail()
const split = timeSplit(interactions, CUT)
const data = mkdtempSync(join(tmpdir(), 'aisle-quality-'))
const port = 3000 + Math.floor(Math.random() * 2000) + 10_000
const proc = Bun.spawn(['bun', 'server/dev.ts'], { cwd: root, env: { ...process.env, MONGODB_URL: '', AMQP_URL: '', DATA_DIR: data, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdout: 'inherit', stderr: 'inherit' })
const url = `http://127.0.0.1:${port}`

try {
  for (let i = 0; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); i++) {
    if (i > 200) throw new Error('the service did not start')
    await Bun.sleep(50)
  }
  const reg = (await (await fetch(`${url}/webshops/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'or-t@example.com', name: 'Online Retail', password: 'long enough' }) })).json()) as { apiKey: string }
  const headers = { 'content-type': 'application/json', 'x-api-key': reg.apiKey }

  let started = performance.now()
  const events = split.train.map((e, n) => ({ eventId: `line-${n}`, type: 'purchase', timestamp: new Date(e.timestamp).toISOString(), user: { id: e.userId }, item: { id: e.itemId } }))
  for (let i = 0; i < events.length; i += 1000) {
    const res = await fetch(`${url}/events/`, { method: 'POST', headers, body: JSON.stringify(events.slice(i, i + 1000)) })
    if (res.status !== 202) throw new Error(`POST /events/ answered ${res.status}: ${await res.text()}`)
  }
  const sendSeconds = (performance.now() - started) / 1000
  for (;;) {
    const shop = (await (await fetch(`${url}/webshops`, { headers })).json()) as { totals: { events: number } }
    if (shop.totals.events === events.length) break
    await Bun.sleep(200)
  }
  const storedSeconds = (performance.now() - started) / 1000
  console.log(`sent ${events.length} events in ${sendSeconds.toFixed(1)} s; all stored after ${storedSeconds.toFixed(1)} s`)

  started = performance.now()
  const job = (await (await fetch(`${url}/train/`, { method: 'POST', headers })).json()) as { jobId: string }
  let status = ''
  let slowest = 0
  while (status !== 'done' && status !== 'failed') {
    await Bun.sleep(100)
    // The API must keep answering while the model is fitted.
    const asked = performance.now()
    status = ((await (await fetch(`${url}/train/${job.jobId}`, { headers })).json()) as { status: string }).status
    slowest = Math.max(slowest, performance.now() - asked)
  }
  console.log(`slowest API answer while training: ${slowest.toFixed(1)} ms`)
  const model = (await (await fetch(`${url}/models/latest`, { headers })).json()) as { algorithm: string; metrics: { selection: { candidates: { algorithm: string; ndcgAll: number; ndcgNew: number; trainSeconds: number }[] } } }
  console.log(`training ${status} in ${((performance.now() - started) / 1000).toFixed(1)} s; chose ${model.algorithm}`)
  for (const c of model.metrics.selection.candidates) console.log(`  holdout ${c.algorithm}: all ${c.ndcgAll.toFixed(4)}, new ${c.ndcgNew.toFixed(4)}, ${c.trainSeconds.toFixed(2)} s`)

  const seen = new Map<string, Set<string>>()
  for (const e of split.train) {
    let s = seen.get(e.userId)
    if (!s) seen.set(e.userId, (s = new Set()))
    s.add(e.itemId)
  }
  const results: Record<string, RankMetrics> = {}
  for (const protocol of ['all', 'new'] as const) {
    const rows: RankMetrics[] = []
    for (const [user, items] of split.test) {
      const truth = protocol === 'all' ? items : new Set([...items].filter((i) => !seen.get(user)!.has(i)))
      if (truth.size === 0) continue
      const res = (await (await fetch(`${url}/recommend/${encodeURIComponent(user)}/?limit=10${protocol === 'all' ? '&includeSeen=true' : ''}`, { headers })).json()) as { items: { itemId: string }[] }
      rows.push(rankMetrics(res.items.map((i) => i.itemId), truth, 10))
    }
    results[protocol] = meanMetrics(rows)
    console.log(`OR-T/${protocol} through the API (${rows.length} users): NDCG@10 ${results[protocol]!.ndcg.toFixed(4)}, Recall@10 ${results[protocol]!.recall.toFixed(4)}, HitRate@10 ${results[protocol]!.hit.toFixed(4)}`)
  }
  await Bun.write(join(import.meta.dir, 'results/quality-service.json'), JSON.stringify({ algorithm: model.algorithm, selection: model.metrics.selection, results }, null, 2))
} finally {
  proc.kill('SIGTERM')
  await proc.exited
  rmSync(data, { recursive: true, force: true })
}
