// The X-API-KEY plugin: finds the calling webshop once per request, or answers 401. A derive,
// not a resolve, so it runs before body validation: a caller without a valid key learns nothing
// about what a valid body looks like.
import { Elysia } from 'elysia'
import type { Store, WebshopRecord } from '../core/store/store'
import { shared } from '../core/single-flight'
import { authenticate } from '../core/webshops'
import type { AppDeps } from './deps'
import { errorBody } from './errors'

export const API_KEY_SECURITY = [{ apiKey: [] as string[] }]

const MAX_CACHED_KEYS = 10_000

/**
 * Valid keys seen in the last `ttlMs`, so the ingest path does not query the store on every
 * request. This process forgets a webshop at once when it changes or is deleted here; another
 * server process may accept a deleted webshop's key for at most `ttlMs`. Unknown keys are never
 * cached, so a new key works at once and random keys cannot fill memory.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { webshop: WebshopRecord; at: number }>()
  /**
   * Checks in flight, one per key: when a busy key's entry expires, the requests that arrive
   * before the store answers wait for that one query instead of each sending their own (at
   * 5,000 req/s against a slow store, thousands of queries a second that made it slower still).
   */
  private readonly checking = new Map<string, Promise<WebshopRecord | null>>()
  /** Bumped by forget(): a check that started before it must not cache what it read. */
  private generation = 0

  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
  ) {}

  async find(apiKey: string): Promise<WebshopRecord | null> {
    const hit = this.entries.get(apiKey)
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.webshop
    return shared(this.checking, apiKey, () => this.check(apiKey))
  }

  private async check(apiKey: string): Promise<WebshopRecord | null> {
    const generation = this.generation
    const webshop = await authenticate(this.store, apiKey)
    if (webshop && this.ttlMs > 0 && generation === this.generation) {
      if (this.entries.size >= MAX_CACHED_KEYS) this.entries.clear()
      this.entries.set(apiKey, { webshop, at: Date.now() })
    } else this.entries.delete(apiKey)
    return webshop
  }

  forget(webshopId: string): void {
    this.generation++
    // A check in flight may have read the webshop as it was; later callers start a new one.
    this.checking.clear()
    for (const [key, { webshop }] of this.entries) if (webshop.id === webshopId) this.entries.delete(key)
  }
}

export const auth = ({ keys }: Pick<AppDeps, 'keys'>) =>
  new Elysia({ name: 'auth' }).derive({ as: 'scoped' }, async ({ request, status }) => {
    // From the request: a hook that asks for Elysia's `headers` makes it copy every header of the
    // request into an object (headers.toJSON()), and only one is needed here.
    const apiKey = request.headers.get('x-api-key')
    if (!apiKey) return status(401, errorBody('unauthorized', 'missing X-API-KEY header'))
    const webshop = await keys.find(apiKey)
    if (!webshop) return status(401, errorBody('unauthorized', 'invalid API key'))
    return { webshop }
  })
