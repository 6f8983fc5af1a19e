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

/** How long a key confirmed by the store keeps answering while the store cannot be asked. */
export const AUTH_STALE_MS = 5 * 60_000

/**
 * Valid keys seen in the last `ttlMs`, so the ingest path does not query the store on every
 * request. After `ttlMs` the next request starts one check of the store and, while it runs, is
 * answered from the entry; if the store cannot be reached, the entry goes on answering until
 * `staleMs` after the store last confirmed it. So a webshop's events are still queued while its
 * store is down or slow (the worker stores them later, and drops those of a webshop deleted
 * meanwhile), and no request waits for a key the store confirmed a second ago. This process
 * forgets a webshop at once when it changes or is deleted here; another server process may
 * accept a deleted webshop's key for `ttlMs` plus the time its store takes to answer. Unknown
 * keys are never cached, so a new key works at once and random keys cannot fill memory.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { webshop: WebshopRecord; at: number }>()
  /**
   * Checks in flight, one per key: requests that need a check while one runs share it (at 5,000
   * req/s against a slow store, a check per request made thousands of queries a second).
   */
  private readonly checking = new Map<string, Promise<WebshopRecord | null>>()
  /** Bumped by forget(): a check that started before it must not cache what it read. */
  private generation = 0

  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
    private readonly staleMs = AUTH_STALE_MS,
  ) {}

  async find(apiKey: string): Promise<WebshopRecord | null> {
    const hit = this.entries.get(apiKey)
    const age = hit ? Date.now() - hit.at : Infinity
    if (hit && age < this.ttlMs) return hit.webshop
    const checked = shared(this.checking, apiKey, () => this.check(apiKey))
    if (hit && age < this.staleMs) {
      // A check that fails leaves the entry as it is; the next request after it tries again.
      checked.catch(() => {})
      return hit.webshop
    }
    return checked
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
