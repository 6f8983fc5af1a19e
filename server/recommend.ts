import { Elysia } from 'elysia'
import { ErrorBody, Recommendation, RecommendQuery, UserIdParams } from '../core/schemas'
import { recommendForUser } from '../recommender/serving'
import { API_KEY_SECURITY, auth } from './auth'
import type { AppDeps } from './deps'

export const recommendRoutes = (deps: AppDeps) =>
  new Elysia({ prefix: '/recommend', tags: ['recommendations'] })
    .use(auth(deps))
    .get(
      '/:user_id',
      async ({ webshop, params, query }) => {
        const result = await recommendForUser(deps.store, deps.models, {
          webshopId: webshop.id,
          userId: params.user_id,
          weights: webshop.settings.eventWeights,
          limit: query.limit ?? 10,
          includeSeen: query.includeSeen ?? false,
        })
        return { userId: params.user_id, ...result }
      },
      {
        params: UserIdParams,
        query: RecommendQuery,
        response: { 200: Recommendation, 401: ErrorBody, 422: ErrorBody },
        detail: {
          summary: 'Personalised items for a user',
          description:
            "Scored from the user's history as stored now, with the webshop's latest model. Items the user interacted with are left out unless includeSeen=true. A user without history, or a shop without a model, gets popular items.",
          security: API_KEY_SECURITY,
        },
      },
    )
