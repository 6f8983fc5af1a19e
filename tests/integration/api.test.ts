// The HTTP contract a webshop relies on, against the real app on the embedded ports: every
// documented route, both path forms, and bad input answered with a 4xx JSON error, never a 500.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../../core/config'
import { openPorts, type Ports } from '../../core/ports'
import { startServer } from '../../server/index'
import { quietLog, tempDir } from '../helpers/adapters'
import { httpClient } from '../helpers/processes'

const tmp = tempDir('aisle-api-')
let ports: Ports
let server: Awaited<ReturnType<typeof startServer>>
let anon: ReturnType<typeof httpClient>
let api: ReturnType<typeof httpClient>
let apiKey: string

beforeAll(async () => {
  const config = loadConfig({ DATA_DIR: tmp.dir, PORT: '0', HOST: '127.0.0.1', MAX_BODY_BYTES: '65536' })
  ports = await openPorts(config, quietLog)
  server = await startServer(ports, config, quietLog)
  anon = httpClient(server.url)
  const res = await anon('POST', '/webshops/register/', { email: 'Shop@Example.com', name: 'Shop', password: 'long enough' })
  apiKey = res.body.apiKey
  api = httpClient(server.url, apiKey)
})
afterAll(async () => {
  await server.stop()
  await ports.close()
  tmp.remove()
})

const event = (overrides: Record<string, unknown> = {}) => ({ type: 'view', user: { id: 'u1' }, item: { id: 'i1' }, ...overrides })

async function raw(path: string, init: RequestInit & { headers?: Record<string, string> }) {
  const res = await fetch(`${server.url}${path}`, { ...init, headers: { 'x-api-key': apiKey, ...init.headers } })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json().catch(() => null)) as { error: { code: string; message: string } } }
}

describe('webshops', () => {
  test('registration normalises the email and never returns secrets', async () => {
    const res = await api('GET', '/webshops')
    expect(res.status).toBe(200)
    expect(res.body.email).toBe('shop@example.com')
    expect(res.body.totals).toEqual({ users: 0, items: 0, events: 0 })
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|apiKeyHash|long enough/)
    expect(apiKey.startsWith(res.body.apiKeyPrefix)).toBe(true)
  })

  test('a taken email is a 409 on register and on update', async () => {
    expect((await anon('POST', '/webshops/register', { email: 'shop@example.com', name: 'x', password: 'long enough' })).status).toBe(409)
    const other = await anon('POST', '/webshops/register', { email: 'other@example.com', name: 'Other', password: 'long enough' })
    const res = await httpClient(server.url, other.body.apiKey)('PUT', '/webshops/', { email: 'SHOP@example.com' })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('conflict')
  })

  test('updates name and weights; custom event types become accepted once declared', async () => {
    expect((await api('POST', '/events', event({ type: 'custom:wishlist' }))).status).toBe(422)
    const res = await api('PUT', '/webshops', { name: 'Renamed', settings: { eventWeights: { 'custom:wishlist': 3, view: 0.5 } } })
    expect(res.status).toBe(200)
    expect(res.body.name).toBe('Renamed')
    expect(res.body.settings.eventWeights).toMatchObject({ 'custom:wishlist': 3, view: 0.5, purchase: 8 })
    expect((await api('POST', '/events', event({ type: 'custom:wishlist' }))).status).toBe(202)
    expect((await api('PUT', '/webshops', { settings: { eventWeights: { bogus: 1 } } })).status).toBe(422)
  })

  test('the password is stored as an argon2id hash', async () => {
    const w = await ports.store.findWebshopByKeyHash(new Bun.CryptoHasher('sha256').update(apiKey).digest('hex'))
    expect(w?.passwordHash.startsWith('$argon2id$')).toBe(true)
    expect(await Bun.password.verify('long enough', w!.passwordHash)).toBe(true)
  })
})

describe('authentication', () => {
  for (const [method, path] of [['GET', '/webshops/'], ['POST', '/events/'], ['POST', '/train/'], ['GET', '/recommend/u1/'], ['GET', '/users/u1/events/'], ['GET', '/train/x/'], ['DELETE', '/webshops/']] as const) {
    test(`${method} ${path} needs a valid X-API-KEY`, async () => {
      const missing = await anon(method, path, method === 'POST' ? event() : undefined)
      expect(missing.status).toBe(401)
      expect(missing.body.error).toEqual({ code: 'unauthorized', message: 'missing X-API-KEY header' })
      expect((await httpClient(server.url, `${apiKey}x`)(method, path)).status).toBe(401)
    })
  }
})

describe('bad input is a 4xx JSON error', () => {
  const cases: [string, RequestInit & { headers?: Record<string, string> }, number, string][] = [
    ['malformed JSON', { method: 'POST', body: '{"type":', headers: { 'content-type': 'application/json' } }, 400, 'invalid_body'],
    ['a wrong type', { method: 'POST', body: JSON.stringify(event({ type: 42 })), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['an unknown event type', { method: 'POST', body: JSON.stringify(event({ type: 'veiw' })), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['a missing user', { method: 'POST', body: JSON.stringify({ type: 'view', item: { id: 'i' } }), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['an attribute key starting with $', { method: 'POST', body: JSON.stringify(event({ item: { id: 'i', attributes: { $where: 'x' } } })), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['an attribute key with a dot', { method: 'POST', body: JSON.stringify(event({ user: { id: 'u', attributes: { 'a.b': 1 } } })), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['a nested attribute object', { method: 'POST', body: JSON.stringify(event({ user: { id: 'u', attributes: { a: { $gt: 1 } } } })), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['a bad timestamp', { method: 'POST', body: JSON.stringify(event({ timestamp: 'yesterday' })), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['an empty batch', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['more than 1,000 events', { method: 'POST', body: JSON.stringify(Array.from({ length: 1001 }, () => ({ type: 'view', user: { id: 'u' }, item: { id: 'i' } }))), headers: { 'content-type': 'application/json' } }, 422, 'validation_failed'],
    ['an oversized body', { method: 'POST', body: JSON.stringify([event({ item: { id: 'i', attributes: { d: 'x'.repeat(70_000) } } })]), headers: { 'content-type': 'application/json' } }, 413, 'payload_too_large'],
    ['text instead of JSON', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }, 422, 'validation_failed'],
  ]
  for (const [what, init, status, code] of cases) {
    test(`POST /events/ with ${what} → ${status}`, async () => {
      const res = await raw('/events/', init)
      expect(res.status).toBe(status)
      expect(res.type).toContain('application/json')
      expect(res.body.error.code).toBe(code)
      expect(typeof res.body.error.message).toBe('string')
    })
  }

  test('a timestamp more than a day ahead of the server clock is a 422 for the whole request', async () => {
    const soon = new Date(Date.now() + 23 * 3_600_000).toISOString()
    // No worker runs here: what is accepted stays on the queue, one message per request.
    const queued = async () => (await ports.bus.stats('events')).ready
    const before = await queued()
    const res = await api('POST', '/events', [event({ timestamp: soon }), event({ timestamp: '9999-12-31T23:59:59Z' })])
    expect(res.status).toBe(422)
    expect(res.body.error.details).toEqual([{ index: 1, timestamp: '9999-12-31T23:59:59Z', problem: 'more than 24 hours ahead of the server clock' }])
    expect((await api('POST', '/events', event({ timestamp: new Date(Date.now() + 25 * 3_600_000).toISOString() }))).status).toBe(422)
    expect(await queued()).toBe(before)
    expect((await api('POST', '/events', [event({ timestamp: soon }), event({ timestamp: '1999-01-01T00:00:00Z' })])).status).toBe(202)
    expect(await queued()).toBe(before + 1)
  })

  test('timestamps are RFC 3339 and name days that exist', async () => {
    for (const ts of ['2024-02-29T12:00:00Z', '2026-12-01T10:00Z', '2026-12-01T10:00:00.123456+01:00', '2026-11-30t23:59:59z']) {
      expect({ ts, status: (await api('POST', '/events', event({ timestamp: ts }))).status }).toEqual({ ts, status: 202 })
    }
    // Not RFC 3339, or no date at all: the schema refuses them.
    for (const ts of ['01/02/2026', '2026-12-01 10:00:00Z', '2026-12-01T10:00:00', 'Mon Jan 05 2026 10:00:00 GMT+0000 (UTC)', '2026-13-01T00:00:00Z']) {
      const res = await api('POST', '/events', event({ timestamp: ts }))
      expect({ ts, status: res.status, path: res.body.error.details[0].path }).toEqual({ ts, status: 422, path: '/timestamp' })
    }
    // Well formed, but the day does not exist (`new Date` would roll it over into the next month).
    for (const ts of ['2026-02-29T12:00:00Z', '2026-04-31T00:00:00Z', '2100-02-29T00:00:00Z']) {
      const res = await api('POST', '/events', [event(), event({ timestamp: ts })])
      expect({ ts, status: res.status, details: res.body.error.details }).toEqual({ ts, status: 422, details: [{ index: 1, timestamp: ts, problem: 'no such day' }] })
    }
  })

  test('the error names the failing field', async () => {
    const res = await api('POST', '/events', [event(), event({ item: { id: 'i', attributes: { $set: 1 } } })])
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: '/1/item/attributes/$set' }))
    // A field that takes one of several things says which.
    const type = await api('POST', '/events', [event(), event({ type: 'veiw' })])
    expect(type.body.error.details).toEqual([{ path: '/1/type', message: expect.stringMatching(/^Expected "view", "click", .*"purchase" or a string matching \^custom:/) }])
    const attribute = await api('POST', '/events', event({ item: { id: 'i', attributes: { size: { cm: 3 } } } }))
    expect(attribute.body.error.details).toEqual([{ path: '/item/attributes/size', message: 'Expected a string, a number, a boolean or an array' }])
  })

  test('a malformed filter is a 422 naming the failing value, on every route that takes one', async () => {
    for (const path of ['/recommend/u1', '/items/i1/similar', '/popular']) {
      for (const query of ['filter=no-colon', 'filter=a:b&filter=no-colon', `filter=${'x'.repeat(300)}`, 'filter=$where:1']) {
        const res = await api('GET', `${path}?${query}`)
        expect(res.status).toBe(422)
        expect(res.body.error.code).toBe('validation_failed')
        expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: expect.stringMatching(/^\/filter\/\d$/), message: expect.stringContaining('match') }))
      }
    }
  })

  test('hostile queries, path segments and bodies on every route: a JSON answer, never a 5xx', async () => {
    const queries = ['', 'limit=', 'limit=%00', 'limit=1e309', 'limit=-0', 'limit=NaN', 'limit=1&limit=2', 'days=99999999999999999999', 'includeSeen=', 'includeSeen[]=1',
      'filter=', 'filter=:', 'filter=a:', 'filter=%00:x', `filter=a:${'v'.repeat(5000)}`, 'filter[a]=b', 'filter=a:b&filter=a:c', '__proto__=x', 'constructor[prototype]=1', `x=${'%'.repeat(3)}`]
    const segments = ['x', '%00', '%ZZ', '..%2F..%2Fetc', 'a%2Fb', encodeURIComponent('ü🙂'), 'x'.repeat(3000), '__proto__', 'constructor']
    const bodies = ['', 'null', '0', '"x"', '[]', '{}', '{"__proto__":{"x":1}}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '{"limit":1e999}', '\u0000', '{"a":"\ud800"}']
    const requests: [string, string, string?][] = []
    for (const q of queries) for (const path of ['/recommend/u1/', '/items/i1/similar/', '/popular/', '/users/u1/events/', '/webshops/', '/models/latest/']) requests.push(['GET', `${path}?${q}`])
    for (const seg of segments) for (const path of ['/recommend/', '/items/', '/users/', '/train/']) requests.push(['GET', `${path}${seg}${path === '/items/' ? '/similar/' : path === '/users/' ? '/events/' : '/'}`])
    for (const body of bodies) for (const [method, path] of [['POST', '/events/'], ['POST', '/train/'], ['PUT', '/webshops/'], ['POST', '/webshops/register/']]) requests.push([method!, path!, body])
    for (const [method, path, body] of requests) {
      const res = await fetch(`${server.url}${path}`, { method, body, headers: { 'x-api-key': apiKey, 'content-type': 'application/json' } })
      const what = `${method} ${path.slice(0, 80)} ${body ?? ''}`
      expect({ what, status: res.status < 500 }).toEqual({ what, status: true })
      expect({ what, type: res.headers.get('content-type') ?? '' }).toEqual({ what, type: expect.stringContaining('application/json') })
      await res.json()
    }
  })

  test('bad query values and unknown routes', async () => {
    expect((await api('GET', '/recommend/u1?limit=0')).status).toBe(422)
    expect((await api('GET', '/recommend/u1?limit=abc')).status).toBe(422)
    expect((await api('GET', '/users/u1/events?limit=1001')).status).toBe(422)
    expect((await api('GET', '/train/no-such-job')).status).toBe(404)
    const nothing = await api('GET', '/nothing/here')
    expect(nothing.status).toBe(404)
    expect(nothing.body.error.code).toBe('not_found')
    // A path that exists, with a method it does not take: 405 and the methods it does.
    const wrong: [string, string, string][] = [['PATCH', '/events/', 'POST'], ['GET', '/events', 'POST'], ['DELETE', '/recommend/u1/', 'GET'], ['POST', '/webshops', 'DELETE, GET, PUT']]
    for (const [method, path, allow] of wrong) {
      const res = await fetch(`${server.url}${path}`, { method, headers: { 'x-api-key': apiKey } })
      expect({ method, path, status: res.status, allow: res.headers.get('allow') }).toEqual({ method, path, status: 405, allow })
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed')
    }
    expect((await anon('POST', '/webshops/register', { email: 'not-an-email', name: 'x', password: 'long enough' })).status).toBe(422)
    expect((await anon('POST', '/webshops/register', { email: 'a@b.co', name: 'x', password: 'short' })).status).toBe(422)
  })
})

describe('routes', () => {
  test('each route answers with and without its trailing slash', async () => {
    for (const path of ['/webshops', '/webshops/', '/recommend/u1', '/recommend/u1/', '/users/u1/events', '/users/u1/events/']) {
      expect((await api('GET', path)).status).toBe(200)
    }
  })

  test('recommend returns the documented shape', async () => {
    const res = await api('GET', '/recommend/nobody?limit=5&includeSeen=true')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ userId: 'nobody', algorithm: 'popular', modelVersion: null })
    expect(Array.isArray(res.body.items)).toBe(true)
  })

  test('the OpenAPI document describes every route, the key scheme and the error shape', async () => {
    const doc = (await anon('GET', '/swagger/json')).body
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: 'apiKey', in: 'header', name: 'X-API-KEY' })
    const paths = Object.keys(doc.paths)
    for (const p of ['/webshops/register', '/webshops/', '/events/', '/train/', '/train/{job_id}', '/recommend/{user_id}', '/users/{user_id}/events']) {
      expect(paths.some((q) => q.replace(/\/$/, '') === p.replace(/\/$/, ''))).toBe(true)
    }
    const events = doc.paths[paths.find((p) => p.startsWith('/events'))!].post
    expect(events.security).toEqual([{ apiKey: [] }])
    expect(Object.keys(events.responses)).toEqual(expect.arrayContaining(['202', '401', '422', '503']))
    expect((await fetch(`${server.url}/swagger`)).headers.get('content-type')).toContain('text/html')
  })
})

describe('durability', () => {
  test('requests whose group commit fails get 503 with Retry-After, never 202; the next ones succeed', async () => {
    // A real failure of the real database file: every insert into the queue aborts.
    const { openSqlite, QUEUE_FILE } = await import('../../core/sqlite')
    const db = openSqlite(tmp.dir, QUEUE_FILE)
    db.run("CREATE TRIGGER refuse BEFORE INSERT ON queue_messages BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => api('POST', '/events', event({ eventId: `doomed-${i}` }))))
      for (const a of answers) {
        expect(a.status).toBe(503)
        expect(a.headers.get('retry-after')).toBe('2')
        expect(a.body.error.code).toBe('unavailable')
      }
    } finally {
      db.run('DROP TRIGGER refuse')
      db.close()
    }
    expect((await api('POST', '/events', event())).status).toBe(202)
  })
})
