// The X-API-KEY plugin: finds the calling webshop once per request, or answers 401. A derive,
// not a resolve, so it runs before body validation: a caller without a valid key learns nothing
// about what a valid body looks like.
import { Elysia } from 'elysia'
import { authenticate } from '../core/webshops'
import type { AppDeps } from './deps'
import { errorBody } from './errors'

export const API_KEY_SECURITY = [{ apiKey: [] as string[] }]

export const auth = ({ store }: Pick<AppDeps, 'store'>) =>
  new Elysia({ name: 'auth' }).derive({ as: 'scoped' }, async ({ headers, status }) => {
    const apiKey = headers['x-api-key']
    if (!apiKey) return status(401, errorBody('unauthorized', 'missing X-API-KEY header'))
    const webshop = await authenticate(store, apiKey)
    if (!webshop) return status(401, errorBody('unauthorized', 'invalid API key'))
    return { webshop }
  })
