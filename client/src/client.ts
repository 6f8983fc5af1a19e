import { treaty, type Treaty } from '@elysiajs/eden'
import type { App } from '../../server/app'

export type { App }

export interface ClientOptions {
  /** Where Aisle answers, e.g. `https://aisle.example.com` or `http://localhost:3000`. */
  baseUrl: string
  /** The webshop's API key, sent as `X-API-KEY`. Leave it out only to register. */
  apiKey?: string
  /** A fetch of your own (timeouts, proxies, tests). */
  fetcher?: typeof fetch
}

export type AisleClient = Treaty.Create<App>

/**
 * The typed client: routes read as paths, e.g. `api.events.post([...])`,
 * `api.recommend({ user_id }).get({ query: { limit: 10 } })`. Every call resolves to
 * `{ data, error, status, headers }`; `error.value` is Aisle's `{error: {code, message}}`.
 */
export function createClient({ baseUrl, apiKey, fetcher }: ClientOptions): AisleClient {
  return treaty<App>(baseUrl, {
    headers: apiKey ? { 'x-api-key': apiKey } : undefined,
    fetcher,
  })
}
