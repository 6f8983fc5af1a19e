// `bun run bench`: ingest and serving figures of the real processes on loopback, each printed
// beside ceilings measured in the same run. Load generators run in their own processes, bounded
// in time: wrk (Debian's package) for saturation, vegeta (go install
// github.com/tsenart/vegeta/v12@v12.13.0) for latency at a fixed rate. The RabbitMQ + MongoDB
// wire protocol rows run when MONGODB_URL and AMQP_URL are set. Results also go to
// bench/results/bench-<time>.json.
//   BENCH_SECONDS (default 5)   BENCH_CONNECTIONS (default 64)
import { mkdtempSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { timeSplit } from '../recommender/evaluation'
import { loadOnlineRetail } from './eval'

const root = join(import.meta.dir, '..')
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)
const scratch = mkdtempSync(join(tmpdir(), 'aisle-bench-'))
const wrkBin = Bun.which('wrk')
const vegetaBin = Bun.which('vegeta') ?? ((await Bun.file(join(homedir(), 'go/bin/vegeta')).exists()) ? join(homedir(), 'go/bin/vegeta') : null)
if (!wrkBin) {
  console.error('wrk is missing: apt-get install wrk')
  process.exit(1)
}
if (!vegetaBin) console.error('vegeta is missing (go install github.com/tsenart/vegeta/v12@v12.13.0): fixed-rate rows are skipped')

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

interface Proc {
  url: string
  peakRssMb: () => number
  stop: () => Promise<void>
}

async function start(cmd: string[], env: Record<string, string>, http = true): Promise<Proc> {
  const port = await freePort()
  const proc: Subprocess = Bun.spawn(cmd, { cwd: root, env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdout: 'ignore', stderr: 'inherit' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; http; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break
    if (i > 300) throw new Error(`${cmd.join(' ')} did not start`)
    await Bun.sleep(50)
  }
  let peak = 0
  const sample = setInterval(async () => {
    const status = await Bun.file(`/proc/${proc.pid}/status`).text().catch(() => '')
    peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
  }, 200)
  return {
    url,
    peakRssMb: () => peak,
    stop: async () => {
      clearInterval(sample)
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}

interface Load {
  rps: number
  p50: number
  p99: number
  errors: number
}

const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[unit]!

/** The bodies a load generator sends: none (GET), one, or several taken in turn or at random. */
const bodiesOf = (body: string | string[] | undefined): string[] => (typeof body === 'string' ? [body] : (body ?? []))

/** Saturation with wrk: `paths` and bodies are taken at random for each request. */
async function wrk(base: string, paths: string[], opts: { body?: string | string[]; apiKey?: string; connections?: number; seconds?: number }): Promise<Load> {
  const bodies = bodiesOf(opts.body)
  const lua = join(scratch, `wrk-${Date.now()}.lua`)
  await Bun.write(
    lua,
    [
      `local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }`,
      `local bodies = { ${bodies.map((b) => `[==[${b}]==]`).join(', ')} }`,
      `wrk.method = "${bodies.length > 0 ? 'POST' : 'GET'}"`,
      `wrk.headers["Content-Type"] = "application/json"`,
      opts.apiKey ? `wrk.headers["X-API-KEY"] = "${opts.apiKey}"` : '',
      `request = function() return wrk.format(nil, paths[math.random(#paths)], nil, bodies[math.random(#bodies)]) end`,
    ].join('\n'),
  )
  const out = await Bun.$`${wrkBin!} -t2 -c${opts.connections ?? connections} -d${opts.seconds ?? seconds}s --latency -s ${lua} ${base}`.quiet().text()
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out)
    return m ? ms(m[1]!, m[2]!) : NaN
  }
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), p50: pct('50'), p99: pct('99'), errors: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) }
}

/** Seconds of the same load before a saturation figure, given to every server alike: a fresh process runs its first requests before its JIT has compiled them. */
const WARM_UP_SECONDS = 2

/** Latency at a fixed rate with vegeta. */
async function vegeta(base: string, paths: string[], rate: number, opts: { body?: string | string[]; apiKey?: string }): Promise<Load | null> {
  if (!vegetaBin) return null
  const bodies = bodiesOf(opts.body)
  // One target per path and body (JSON targets), taken in turn.
  const header = { 'Content-Type': ['application/json'], ...(opts.apiKey ? { 'X-API-KEY': [opts.apiKey] } : {}) }
  const target = (path: string, body?: string) =>
    JSON.stringify({ method: body === undefined ? 'GET' : 'POST', url: `${base}${path}`, header, ...(body === undefined ? {} : { body: Buffer.from(body).toString('base64') }) })
  const lines = bodies.length > 0 ? bodies.map((body, n) => target(paths[n % paths.length]!, body)) : paths.map((path) => target(path))
  const targets = join(scratch, `targets-${Date.now()}.jsonl`)
  await Bun.write(targets, lines.join('\n') + '\n')
  const attack = Bun.spawn([vegetaBin, 'attack', '-format=json', `-rate=${rate}`, `-duration=${seconds}s`, `-targets=${targets}`], { stdout: 'pipe' })
  const report = Bun.spawn([vegetaBin, 'report', '-type=json'], { stdin: attack.stdout, stdout: 'pipe' })
  const json = JSON.parse(await new Response(report.stdout).text()) as { latencies: Record<string, number>; throughput: number; requests: number; status_codes: Record<string, number> }
  const ok = Object.entries(json.status_codes).filter(([code]) => code.startsWith('2')).reduce((n, [, c]) => n + c, 0)
  return { rps: json.throughput, p50: json.latencies['50th']! / 1e6, p99: json.latencies['99th']! / 1e6, errors: json.requests - ok }
}

const rows: string[][] = []
const results: Record<string, unknown> = { seconds, connections, at: new Date().toISOString() }
function record(name: string, load: Load | null, note = '') {
  console.error(`${name}: ${load ? `${load.rps.toFixed(0)} req/s, p99 ${load.p99.toFixed(2)} ms` : 'skipped'}`)
  results[name] = load
  if (load) rows.push([name, load.rps.toFixed(0), load.p50.toFixed(2), load.p99.toFixed(2), String(load.errors), note])
}

// A shop's traffic: 5,000 customers viewing 3,000 items. The single-event rows send these bodies
// in random order (the ceilings too), so the worker stores what it would for a real shop: a new
// place in the user-history index for most events, not the same user's again and again.
const event = (n: number) => ({ type: 'view', user: { id: `u${n % 5000}` }, item: { id: `i${(n * 7919) % 3000}`, attributes: { category: `c${n % 20}` } } })
const single = Array.from({ length: 5000 }, (_, n) => JSON.stringify(event(n)))
const batch = JSON.stringify(Array.from({ length: 1000 }, (_, n) => event(n)))

async function register(url: string): Promise<string> {
  const res = await fetch(`${url}/webshops/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, name: 'Bench', password: 'long enough' }) })
  return ((await res.json()) as { apiKey: string }).apiKey
}

/** The shop's stored events, or null when the store does not answer within 5 s (FerretDB while its worker writes). */
async function storedEvents(url: string, apiKey: string): Promise<number | null> {
  try {
    const res = await fetch(`${url}/webshops`, { headers: { 'x-api-key': apiKey }, signal: AbortSignal.timeout(5000) })
    return ((await res.json()) as { totals: { events: number } }).totals.events
  } catch {
    return null
  }
}

// 1. Ceilings.
const ceilings: number[] = []
for (const [name, script] of [['ceiling: bare Bun.serve, parse JSON, 202', 'bench/ceilings/bare.ts'], ['ceiling: Elysia, validate only', 'bench/ceilings/elysia.ts']] as const) {
  const p = await start(['bun', script], {}, false)
  await Bun.sleep(500)
  await wrk(p.url, ['/events'], { body: single, seconds: WARM_UP_SECONDS })
  const saturated = await wrk(p.url, ['/events'], { body: single })
  ceilings.push(saturated.rps)
  record(`${name} (wrk, ${connections} conns)`, saturated)
  record(`${name} (vegeta, 5,000/s)`, await vegeta(p.url, ['/events'], 5000, { body: single }))
  await p.stop()
}
/** The ratio a reader compares: this figure over each ceiling of the same run. */
const ofCeilings = (rps: number) => `${(rps / ceilings[0]!).toFixed(2)}× bare, ${(rps / ceilings[1]!).toFixed(2)}× Elysia`

/** Writes back what earlier rows left dirty, so that it does not slow the fsyncs of the next. */
const settle = () => Bun.spawnSync(['sync'])

/**
 * Waits until the shop's stored events have not grown for 3 s (the worker has caught up; one
 * batch of FerretDB's takes over a second), or `maxMs`; returns the count (null: the store did
 * not answer).
 */
async function quiesce(url: string, apiKey: string, maxMs: number): Promise<number | null> {
  const started = performance.now()
  let stored = await storedEvents(url, apiKey)
  let steadySince = performance.now()
  while (performance.now() - steadySince < 3000 && performance.now() - started < maxMs) {
    await Bun.sleep(500)
    const now = await storedEvents(url, apiKey)
    if (now === null || now !== stored) steadySince = performance.now()
    stored = now
  }
  return stored
}

// 2. Ingest, per mode.
async function ingest(mode: string, cmds: string[][], env: Record<string, string>) {
  settle()
  const procs: Proc[] = []
  for (const [n, cmd] of cmds.entries()) procs.push(await start(cmd, env, n === 0))
  const api = procs[0]!
  try {
    const apiKey = await register(api.url)
    await wrk(api.url, ['/events/'], { body: single, apiKey, seconds: WARM_UP_SECONDS })
    await quiesce(api.url, apiKey, 10_000)
    const singles = await wrk(api.url, ['/events/'], { body: single, apiKey })
    record(`${mode}: POST /events/, 1 event (wrk, ${connections} conns)`, singles, ofCeilings(singles.rps))
    // Each row from a drained queue, so that it does not measure the worker storing the last
    // row's backlog (FerretDB's never drains in time: at most 10 s).
    await quiesce(api.url, apiKey, 10_000)
    record(`${mode}: POST /events/, 1 event (vegeta, 5,000/s)`, await vegeta(api.url, ['/events/'], 5000, { body: single, apiKey }))
    await quiesce(api.url, apiKey, 10_000)
    const many = await wrk(api.url, ['/events/'], { body: batch, apiKey, connections: 8 })
    record(`${mode}: POST /events/, 1,000 events (wrk, 8 conns)`, many, `${(many.rps * 1000).toFixed(0)} events/s accepted`)
    const stored = await quiesce(api.url, apiKey, 60_000)
    rows.push([`${mode}: ${stored ?? 'unknown (the store did not answer in 5 s)'} events stored; peak RSS ${procs.map((p) => p.peakRssMb().toFixed(0)).join(' + ')} MB`, '', '', '', '', ''])
    results[`${mode}: stored`] = { stored, peakRssMb: procs.map((p) => p.peakRssMb()) }
  } finally {
    for (const p of procs) await p.stop()
  }
}

const embeddedEnv = (dir: string) => ({ MONGODB_URL: '', AMQP_URL: '', DATA_DIR: dir })
await ingest('embedded', [['bun', 'server/dev.ts']], embeddedEnv(mkdtempSync(join(scratch, 'data-'))))
// The API process alone (`bun run server`, no worker running): the ingest path without the
// worker's store writes on the same 2 cores, as when workers run on other machines. What it
// accepts stays in the queue file and is thrown away with it.
{
  settle()
  const alone = await start(['bun', 'server/index.ts'], embeddedEnv(mkdtempSync(join(scratch, 'data-'))))
  try {
    const apiKey = await register(alone.url)
    await wrk(alone.url, ['/events/'], { body: single, apiKey, seconds: WARM_UP_SECONDS })
    const load = await wrk(alone.url, ['/events/'], { body: single, apiKey })
    record(`embedded, API process alone (no worker running): POST /events/, 1 event (wrk, ${connections} conns)`, load, ofCeilings(load.rps))
  } finally {
    await alone.stop()
  }
}
// 3. End to end with a real shop, then serving with its trained model (embedded).
{
  const split = timeSplit(loadOnlineRetail(), Date.parse('2011-11-09T00:00:00Z'))
  settle()
  const dataDir = mkdtempSync(join(scratch, 'data-'))
  const p = await start(['bun', 'server/dev.ts'], embeddedEnv(dataDir))
  try {
    const apiKey = await register(p.url)
    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey }
    const events = split.train.map((e, n) => ({ eventId: `line-${n}`, type: 'purchase', timestamp: new Date(e.timestamp).toISOString(), user: { id: e.userId }, item: { id: e.itemId } }))
    const bodies: string[] = []
    for (let i = 0; i < events.length; i += 1000) bodies.push(JSON.stringify(events.slice(i, i + 1000)))
    // From the first POST: the client's own serialisation above is not the service's time.
    const started = performance.now()
    let next = 0
    // Four concurrent senders, as a shop's backend with a few workers would send.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!
          const res = await fetch(`${p.url}/events/`, { method: 'POST', headers, body })
          if (res.status !== 202) throw new Error(`POST /events/ answered ${res.status}`)
        }
      }),
    )
    while (((await storedEvents(p.url, apiKey)) ?? 0) < events.length) await Bun.sleep(50)
    const e2e = events.length / ((performance.now() - started) / 1000)
    console.error(`end to end: ${e2e.toFixed(0)} events/s; training…`)
    rows.push([`embedded: end to end, ${events.length} OR-T events from first POST until all readable`, '', '', '', '', `${e2e.toFixed(0)} events/s`])
    results['embedded: end to end events/s'] = e2e

    const job = (await (await fetch(`${p.url}/train/`, { method: 'POST', headers })).json()) as { jobId: string }
    for (let status = ''; status !== 'done'; await Bun.sleep(500)) {
      status = ((await (await fetch(`${p.url}/train/${job.jobId}`, { headers })).json()) as { status: string }).status
      if (status === 'failed') throw new Error('training failed')
    }
    const model = ((await (await fetch(`${p.url}/models/latest`, { headers })).json()) as { algorithm: string }).algorithm
    const users = [...split.test.keys()].slice(0, 1000).map((u) => `/recommend/${encodeURIComponent(u)}/`)
    record(`embedded: GET /recommend/, ${model} model, 1,000 users (wrk, 16 conns)`, await wrk(p.url, users, { apiKey, connections: 16 }), 'answers kept while unchanged (the default)')
    record(`embedded: GET /recommend/, ${model} model (vegeta, 2,000/s)`, await vegeta(p.url, users, 2000, { apiKey }), 'answers kept while unchanged (the default)')
    rows.push([`embedded with the OR-T model: peak RSS ${p.peakRssMb().toFixed(0)} MB`, '', '', '', '', ''])
    await p.stop()
    // The same data and model, with every answer computed: a history read and a scoring each, on
    // the scoring thread (the default), and as the baseline on the API thread itself.
    for (const [threads, where] of [['1', 'on a scoring thread'], ['0', 'on the API thread']] as const) {
      const computing = await start(['bun', 'server/dev.ts'], { ...embeddedEnv(dataDir), RECOMMEND_CACHE_ENTRIES: '0', RECOMMEND_THREADS: threads })
      try {
        const note = `RECOMMEND_CACHE_ENTRIES=0 RECOMMEND_THREADS=${threads}`
        record(`embedded: GET /recommend/, ${model} model, every answer computed ${where} (wrk, 16 conns)`, await wrk(computing.url, users, { apiKey, connections: 16 }), note)
        record(`embedded: GET /recommend/, ${model} model, every answer computed ${where} (vegeta, 2,000/s)`, await vegeta(computing.url, users, 2000, { apiKey }), note)
        // Mixed traffic: single events at a fixed rate while 8 connections ask for computed answers.
        const [events] = await Promise.all([vegeta(computing.url, ['/events/'], 500, { body: single, apiKey }), wrk(computing.url, users, { apiKey, connections: 8 })])
        record(`embedded: POST /events/, 1 event, while answers are computed ${where} (vegeta, 500/s)`, events, note)
      } finally {
        await computing.stop()
      }
    }
  } finally {
    await p.stop()
  }
}

// 4. Ingest on RabbitMQ + the MongoDB wire protocol, last: what RabbitMQ and the database still do
// after it (deleting the unconsumed messages, compacting) would slow the rows after it.
if (process.env.MONGODB_URL && process.env.AMQP_URL) {
  const topology = `bench_${Date.now().toString(36)}`
  const names = { EVENTS_EXCHANGE: `${topology}.events`, EVENTS_QUEUE: `${topology}.webshop_events`, TRAIN_QUEUE: `${topology}.train`, MODELS_EXCHANGE: `${topology}.models` }
  try {
    await ingest('RabbitMQ + MongoDB wire protocol (FerretDB)', [['bun', 'server/index.ts'], ['bun', 'worker/index.ts']], { DATA_DIR: scratch, MONGODB_DB: topology, ...names })
  } finally {
    // What the worker had not stored yet goes with the bench's queues and database.
    const { default: amqp } = await import('amqplib')
    const { MongoClient } = await import('mongodb')
    const conn = await amqp.connect(process.env.AMQP_URL)
    const ch = await conn.createChannel()
    for (const q of [names.EVENTS_QUEUE, names.TRAIN_QUEUE]) for (const name of [q, `${q}.dead`]) await ch.deleteQueue(name)
    for (const x of [names.EVENTS_EXCHANGE, `${names.EVENTS_EXCHANGE}.dlx`, names.MODELS_EXCHANGE]) await ch.deleteExchange(x)
    await conn.close()
    const mongo = await MongoClient.connect(process.env.MONGODB_URL)
    await mongo.db(topology).dropDatabase()
    await mongo.close()
  }
}

console.log(`\n${seconds} s per figure\n`)
console.log('| what | req/s | p50 ms | p99 ms | failed | note |')
console.log('|---|---|---|---|---|---|')
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
await Bun.write(join(root, `bench/results/bench-${Date.now()}.json`), JSON.stringify(results, null, 2))
rmSync(scratch, { recursive: true, force: true })
