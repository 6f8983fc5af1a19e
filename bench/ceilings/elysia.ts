// Ceiling 2: Elysia with Aisle's event schema, validating and answering 202 without publishing.
import { Elysia } from 'elysia'
import { AcceptedResponse, EventsBody } from '../../core/schemas'

const app = new Elysia()
  .post('/events', ({ body, status }) => status(202, { accepted: Array.isArray(body) ? body.length : 1 }), {
    body: EventsBody,
    response: { 202: AcceptedResponse },
  })
  .listen({ hostname: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
console.log(`listening ${app.server!.port}`)
