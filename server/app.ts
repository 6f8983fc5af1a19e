// Builds the HTTP app from injected ports. `App` is the type the Eden client is generated from.
import { swagger } from '@elysiajs/swagger'
import { Elysia } from 'elysia'
import type { AppDeps } from './deps'
import { errors } from './errors'
import { eventRoutes } from './events'
import { AllowedMethods } from './methods'
import { modelRoutes } from './models'
import { opsRoutes } from './ops'
import { recommendRoutes } from './recommend'
import { trainRoutes } from './train'
import { userRoutes } from './users'
import { webshopRoutes } from './webshops'

export function createApp(deps: AppDeps) {
  // Bun's own cap sits well above ours so a declared Content-Length over MAX_BODY_BYTES gets the
  // JSON 413 from `errors`; Bun answers a bare 413 only for bodies four times the limit.
  const allowed = new AllowedMethods()
  const app = new Elysia({ serve: { maxRequestBodySize: deps.config.MAX_BODY_BYTES * 4 } })
    .use(errors(deps, allowed))
    .use(
      swagger({
        path: '/swagger',
        documentation: {
          info: {
            title: 'Aisle',
            version: '0.1.0',
            description:
              'Event-driven recommendations for webshops. Send events, train, recommend. Keyed routes need the `X-API-KEY` header with the key from registration. Errors are `{error: {code, message, details?}}`.',
          },
          components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' } } },
        },
      }),
    )
    .use(opsRoutes())
    .use(webshopRoutes(deps))
    .use(eventRoutes(deps))
    .use(trainRoutes(deps))
    .use(recommendRoutes(deps))
    .use(modelRoutes(deps))
    .use(userRoutes(deps))
  allowed.load(app.routes)
  return app
}

export type App = ReturnType<typeof createApp>
