import { Elysia, t } from 'elysia'
import { ErrorBody, RegisterBody, RegisterResponse, UpdateWebshopBody, Webshop, WebshopDetails } from '../core/schemas'
import { registerWebshop, toView, updateWebshop, webshopDetails } from '../core/webshops'
import { API_KEY_SECURITY, auth } from './auth'
import type { AppDeps } from './deps'

export const webshopRoutes = (deps: AppDeps) =>
  new Elysia({ prefix: '/webshops', tags: ['webshops'] })
    .post(
      '/register',
      async ({ body, status }) => {
        const { webshop, apiKey } = await registerWebshop(deps.store, body)
        return status(201, { webshop: toView(webshop), apiKey })
      },
      {
        body: RegisterBody,
        response: { 201: RegisterResponse, 409: ErrorBody, 422: ErrorBody },
        detail: { summary: 'Register a webshop', description: 'Returns the webshop and its API key. The key is shown only this once.' },
      },
    )
    .use(auth(deps))
    .get('/', ({ webshop }) => webshopDetails(deps.store, webshop), {
      response: { 200: WebshopDetails, 401: ErrorBody },
      detail: { summary: 'The calling webshop, with totals of what Aisle holds for it', security: API_KEY_SECURITY },
    })
    .put('/', async ({ webshop, body }) => {
      const updated = await updateWebshop(deps.store, webshop.id, body)
      deps.keys.forget(webshop.id)
      return toView(updated)
    }, {
      body: UpdateWebshopBody,
      response: { 200: Webshop, 401: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      detail: { summary: 'Update name, email, password or event-type weights', security: API_KEY_SECURITY },
    })
    .delete(
      '/',
      async ({ webshop, status }) => {
        await deps.store.deleteWebshop(webshop.id)
        deps.keys.forget(webshop.id)
        deps.models.forget(webshop.id)
        return status(204, undefined)
      },
      {
        response: { 204: t.Void(), 401: ErrorBody },
        detail: { summary: 'Delete the webshop and all its users, items, events and models', security: API_KEY_SECURITY },
      },
    )
