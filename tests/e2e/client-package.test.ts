// What a webshop does with @aisle/client: pack it, install the tarball into a fresh TypeScript
// project outside this repository, type-check a correct and a wrong usage, and run the correct
// one on Node against a live Aisle server.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from '../helpers/adapters'
import { modeEnv, startAisle, type RunningProcess } from '../helpers/processes'

const root = join(import.meta.dir, '../..')
const scratch = tempDir('aisle-shop-')
const data = tempDir('aisle-client-data-')
let server: RunningProcess
const tsc = join(root, 'node_modules/typescript/bin/tsc')

const good = `
import { createClient, createTracker } from '@aisle/client'

const baseUrl = process.env.AISLE_URL!
const anon = createClient({ baseUrl })
const reg = await anon.webshops.register.post({ email: 'client@example.com', name: 'Client Shop', password: 'long enough' })
if (reg.error) throw new Error('register failed: ' + JSON.stringify(reg.error.value))
const apiKey: string = reg.data.apiKey
const api = createClient({ baseUrl, apiKey })

const sent = await api.events.post([
  { type: 'purchase', user: { id: 'ann' }, item: { id: 'mug', attributes: { colour: 'blue' } } },
  { type: 'purchase', user: { id: 'ann' }, item: { id: 'teapot' } },
  { type: 'purchase', user: { id: 'bob' }, item: { id: 'mug' } },
])
const accepted: number | undefined = sent.data?.accepted

const tracker = createTracker({ baseUrl, apiKey, flushIntervalMs: 50 })
tracker.track({ type: 'view', user: { id: 'bob' }, item: { id: 'saucer' } })
const flushed = await tracker.close()

let shop = await api.webshops.get()
for (let i = 0; i < 100 && shop.data?.totals.events !== 4; i++) {
  await new Promise((r) => setTimeout(r, 100))
  shop = await api.webshops.get()
}
const job = await api.train.post()
if (!job.data) throw new Error('train failed')
let status = job.data.status
for (let i = 0; i < 100 && status !== 'done' && status !== 'failed'; i++) {
  await new Promise((r) => setTimeout(r, 100))
  status = (await api.train({ job_id: job.data.jobId }).get()).data?.status ?? status
}
const rec = await api.recommend({ user_id: 'bob' }).get({ query: { limit: 5 } })
const firstItem: string | undefined = rec.data?.items[0]?.itemId
const denied = await createClient({ baseUrl, apiKey: 'aisle_nope' }).webshops.get()
console.log(JSON.stringify({ accepted, delivered: flushed.delivered, events: shop.data?.totals.events, status, algorithm: rec.data?.algorithm, firstItem, deniedStatus: denied.status, deniedCode: denied.error?.value }))
`

const bad = `
import { createClient } from '@aisle/client'
const api = createClient({ baseUrl: 'http://localhost:3000', apiKey: 'k' })
await api.events.post([{ type: 'veiw', user: { id: 'u' }, item: { id: 'i' } }])
await api.events.post({ type: 'view', user: { id: 'u' } })
await api.nope.get()
`

beforeAll(async () => {
  server = await startAisle('server', modeEnv(true, { DATA_DIR: data.dir }))
  // The worker too, in the same embedded file, so events are stored and training runs.
  await startAisle('worker', modeEnv(true, { DATA_DIR: data.dir })).then((w) => (workerProc = w))
})
let workerProc: RunningProcess | undefined
afterAll(async () => {
  await server?.stop()
  await workerProc?.stop()
  if (!process.env.KEEP_SCRATCH) scratch.remove()
  data.remove()
})

async function run(cmd: string[], cwd: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { out, err, code }
}

test('packs, installs into a fresh project, type-checks, and runs on Node against a live server', async () => {
  const packed = await run(['npm', 'pack', '--pack-destination', scratch.dir, '--json'], join(root, 'client'))
  expect(packed.code).toBe(0)
  const tarball = join(scratch.dir, JSON.parse(packed.out)[0].filename)
  const files: string[] = JSON.parse(packed.out)[0].files.map((f: { path: string }) => f.path)
  expect(files).toContain('dist/index.js')
  expect(files).toContain('dist/types/server/app.d.ts')
  expect(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false) // no server source

  const shop = join(scratch.dir, 'shop')
  await Bun.write(join(shop, 'package.json'), JSON.stringify({ name: 'shop', private: true, type: 'module' }))
  await Bun.write(
    join(shop, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], strict: true, skipLibCheck: true, outDir: 'out', types: ['node'] } }),
  )
  const installed = await run(['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', tarball, '@types/node@22'], shop)
  expect(installed.code, installed.err).toBe(0)

  await Bun.write(join(shop, 'src/good.ts'), good)
  const okCheck = await run(['node', tsc, '-p', '.'], shop)
  expect(okCheck.out + okCheck.err).toBe('')
  expect(okCheck.code).toBe(0)

  await Bun.write(join(shop, 'bad/bad.ts'), bad)
  const badCheck = await run(['node', tsc, '--noEmit', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2022,DOM', '--strict', '--skipLibCheck', '--types', 'node', 'bad/bad.ts'], shop)
  expect(badCheck.code).not.toBe(0)
  expect(badCheck.out).toContain(`Type '"veiw"' is not assignable`)
  expect(badCheck.out).toMatch(/Property 'item' is missing/)
  expect(badCheck.out).toMatch(/Property 'nope' does not exist/)

  const ran = await run(['node', 'out/good.js'], shop, { AISLE_URL: server.url })
  expect(ran.code, ran.err).toBe(0)
  const result = JSON.parse(ran.out.trim().split('\n').at(-1)!)
  expect(result).toEqual({
    accepted: 3,
    delivered: 1,
    events: 4,
    status: 'done',
    algorithm: 'item_knn',
    firstItem: 'teapot', // bob bought the mug; ann bought the mug and the teapot
    deniedStatus: 401,
    deniedCode: { error: { code: 'unauthorized', message: 'invalid API key' } },
  })
}, 180_000)
