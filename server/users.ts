import { Elysia } from 'elysia'
import { ErrorBody, UserEvents, UserEventsQuery, UserIdParams } from '../core/schemas'
import { API_KEY_SECURITY, auth } from './auth'
import type { AppDeps } from './deps'

export const userRoutes = (deps: AppDeps) =>
  new Elysia({ prefix: '/users', tags: ['users'] })
    .use(auth(deps))
    .get(
      '/:user_id/events',
      async ({ webshop, params, query }) => {
        const events = await deps.store.userEvents(webshop.id, params.user_id, query.limit ?? 100)
        return {
          userId: params.user_id,
          events: events.map((e) => ({
            eventId: e.eventId,
            type: e.type,
            userId: e.userId,
            itemId: e.itemId,
            timestamp: e.timestamp.toISOString(),
            receivedAt: e.receivedAt.toISOString(),
          })),
        }
      },
      {
        params: UserIdParams,
        query: UserEventsQuery,
        response: { 200: UserEvents, 401: ErrorBody, 422: ErrorBody },
        detail: { summary: "A user's stored events, newest first", security: API_KEY_SECURITY },
      },
    )
