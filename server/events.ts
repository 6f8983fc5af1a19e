import { Elysia } from 'elysia'
import { acceptEvents } from '../core/events'
import { AcceptedResponse, ErrorBody, EventsBody, MAX_EVENTS_PER_REQUEST } from '../core/schemas'
import { API_KEY_SECURITY, auth } from './auth'
import type { AppDeps } from './deps'

export const eventRoutes = (deps: AppDeps) =>
  new Elysia({ prefix: '/events', tags: ['events'] })
    .use(auth(deps))
    .post('/', async ({ webshop, body, status }) => status(202, { accepted: await acceptEvents(deps.publisher, webshop, body) }), {
      body: EventsBody,
      response: { 202: AcceptedResponse, 401: ErrorBody, 413: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      detail: {
        summary: 'Send one event or a batch',
        description: `One event or an array of up to ${MAX_EVENTS_PER_REQUEST}. 202 means the events are durable in the queue; they are stored moments later. Resending an event with the same eventId never duplicates it.`,
        security: API_KEY_SECURITY,
      },
    })
