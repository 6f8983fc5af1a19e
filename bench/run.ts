// `bun run bench`: ingest and serving figures of the real processes on loopback, each beside the
// ceilings measured in the same run. Load comes from wrk (Debian's package), in its own process,
// bounded in time. Results also go to bench/results/bench-<time>.json.
//   BENCH_SECONDS (default 5)   BENCH_CONNECTIONS (default 64)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const root = join(import.meta.dir, '..')
const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)

if (!Bun.which('wrk')) {
  console.error('wrk is missing: apt-get install wrk')
  process.exit(1)
}

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

interface Proc {
  url: string
  proc: Subprocess
  peakRssMb: () => number
  stop: () => Promise<void>
}

async function start(cmd: string[], env: Record<string, string>): Promise<Proc> {
  const port = await freePort()
  const proc = Bun.spawn(cmd, { cwd: root, env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdout: 'ignore', stderr: 'inherit' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    const up = await fetch(url, { method: 'GET' }).then(() => true, () => false)
    if (up) break
    if (i > 200) throw new Error(`${cmd.join(' ')} did not start`)
    await Bun.sleep(50)
  }
  let peak = 0
  const sample = setInterval(async () => {
    const status = await Bun.file(`/proc/${proc.pid}/status`).text().catch(() => '')
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
    peak = Math.max(peak, kb / 1024)
  }, 200)
  return {
    url,
    proc,
    peakRssMb: () => peak,
    stop: async () => {
      clearInterval(sample)
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}

interface WrkResult {
  rps: number
  p50: number
  p99: number
  non2xx: number
}

function ms(value: string, unit: string): number {
  const n = Number(value)
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n
}

async function wrk(url: string, opts: { method?: string; body?: string; apiKey?: string; connections?: number }): Promise<WrkResult> {
  const lua = join(tmpdir(), `aisle-wrk-${Date.now()}.lua`)
  await Bun.write(
    lua,
    [
      `wrk.method = "${opts.method ?? 'GET'}"`,
      opts.body ? `wrk.body = [==[${opts.body}]==]` : '',
      `wrk.headers["Content-Type"] = "application/json"`,
      opts.apiKey ? `wrk.headers["X-API-KEY"] = "${opts.apiKey}"` : '',
    ].join('\n'),
  )
  const c = opts.connections ?? connections
  const out = await Bun.$`wrk -t2 -c${c} -d${seconds}s --latency -s ${lua} ${url}`.quiet().text()
  rmSync(lua)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out)
    return m ? ms(m[1]!, m[2]!) : NaN
  }
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  return { rps, p50: pct('50'), p99: pct('99'), non2xx }
}

const event = (n: number) => ({ type: 'view', user: { id: `u${n % 1000}` }, item: { id: `i${n % 500}`, attributes: { category: `c${n % 20}` } } })
const single = JSON.stringify(event(1))
const batch = JSON.stringify(Array.from({ length: 1000 }, (_, n) => event(n)))

const results: Record<string, unknown> = { seconds, connections, at: new Date().toISOString() }
const rows: string[][] = []
const fmt = (r: WrkResult) => [r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.non2xx)]

// Ceilings.
for (const [name, script] of [['bare Bun.serve (parse JSON, 202)', 'bench/ceilings/bare.ts'], ['Elysia validate-only', 'bench/ceilings/elysia.ts']] as const) {
  const p = await start(['bun', script], {})
  const r = await wrk(`${p.url}/events`, { method: 'POST', body: single })
  results[name] = r
  rows.push([`ceiling: ${name}`, ...fmt(r), ''])
  await p.stop()
}

async function aisle(mode: string, env: Record<string, string>) {
  const data = mkdtempSync(join(tmpdir(), 'aisle-bench-'))
  const p = await start(['bun', 'server/dev.ts'], { DATA_DIR: data, ...env })
  try {
    const reg = await (await fetch(`${p.url}/webshops/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, name: 'Bench', password: 'long enough' }) })).json() as { apiKey: string }
    const apiKey = reg.apiKey
    const one = await wrk(`${p.url}/events/`, { method: 'POST', body: single, apiKey })
    rows.push([`${mode}: POST /events/ single event`, ...fmt(one), ''])
    const many = await wrk(`${p.url}/events/`, { method: 'POST', body: batch, apiKey, connections: 8 })
    rows.push([`${mode}: POST /events/ 1,000 events`, ...fmt(many), `${(many.rps * 1000).toFixed(0)} events/s`])
    // End to end: until every accepted event is readable.
    const started = performance.now()
    const totalAccepted = Math.round(one.rps * seconds) + Math.round(many.rps * seconds) * 1000
    let stored = 0
    for (;;) {
      const shop = await (await fetch(`${p.url}/webshops`, { headers: { 'x-api-key': apiKey } })).json() as { totals: { events: number } }
      stored = shop.totals.events
      if (stored >= totalAccepted * 0.999 || performance.now() - started > 120_000) break
      await Bun.sleep(250)
    }
    const drainSeconds = (performance.now() - started) / 1000
    const rec = await wrk(`${p.url}/recommend/u1/`, { apiKey, connections: 16 })
    rows.push([`${mode}: GET /recommend/ (no model: popular)`, ...fmt(rec), ''])
    results[mode] = { single: one, batch: many, stored, drainSecondsAfterLoad: drainSeconds, recommend: rec, peakRssMb: p.peakRssMb() }
    rows.push([`${mode}: stored ${stored} events; drained ${drainSeconds.toFixed(1)} s after load; peak RSS ${p.peakRssMb().toFixed(0)} MB`, '', '', '', '', ''])
  } finally {
    await p.stop()
    rmSync(data, { recursive: true, force: true })
  }
}

await aisle('embedded', { MONGODB_URL: '', AMQP_URL: '' })

console.log(`\nwrk, ${seconds} s per figure, ${connections} connections unless noted (batch: 8, recommend: 16)\n`)
console.log('| what | req/s | p50 ms | p99 ms | non-2xx | note |')
console.log('|---|---|---|---|---|---|')
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
await Bun.write(join(root, `bench/results/bench-${Date.now()}.json`), JSON.stringify(results, null, 2))
