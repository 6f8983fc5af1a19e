// The X-API-KEY plugin: resolves the calling webshop once per request, or answers 401.
import { Elysia } from 'elysia'
import { authenticate } from '../core/webshops'
import type { AppDeps } from './deps'
import { errorBody } from './errors'

export const API_KEY_SECURITY = [{ apiKey: [] as string[] }]

export const auth = ({ store }: Pick<AppDeps, 'store'>) =>
  new Elysia({ name: 'auth' }).resolve({ as: 'scoped' }, async ({ headers, status }) => {
    const apiKey = headers['x-api-key']
    if (!apiKey) return status(401, errorBody('unauthorized', 'missing X-API-KEY header'))
    const webshop = await authenticate(store, apiKey)
    if (!webshop) return status(401, errorBody('unauthorized', 'invalid API key'))
    return { webshop }
  })
