import { Elysia } from 'elysia'
import { ErrorBody, ItemIdParams, parseFilter, PopularItems, PopularQuery, Recommendation, RecommendQuery, SimilarItems, SimilarQuery, UserIdParams } from '../core/schemas'
import { popularNow, recommendForUser, similarItems } from '../recommender/serving'
import { API_KEY_SECURITY, auth } from './auth'
import type { AppDeps } from './deps'

export const recommendRoutes = (deps: AppDeps) =>
  new Elysia({ tags: ['recommendations'] })
    .use(auth(deps))
    .get(
      '/recommend/:user_id',
      async ({ webshop, params, query }) => {
        const result = await recommendForUser(deps.store, deps.models, {
          webshopId: webshop.id,
          userId: params.user_id,
          weights: webshop.settings.eventWeights,
          settingsVersion: webshop.updatedAt.getTime(),
          limit: query.limit ?? 10,
          includeSeen: query.includeSeen ?? false,
          filter: parseFilter(query.filter),
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
            "Scored from the user's history as stored now, with the webshop's latest model. Items the user interacted with are left out unless includeSeen=true. `filter=attribute:value` (repeatable) keeps only items with those attributes. A user without history, or a shop without a model, gets popular items.",
          security: API_KEY_SECURITY,
        },
      },
    )
    .get(
      '/items/:item_id/similar',
      async ({ webshop, params, query }) => {
        const result = await similarItems(deps.store, deps.models, {
          webshopId: webshop.id,
          itemId: params.item_id,
          limit: query.limit ?? 10,
          filter: parseFilter(query.filter),
        })
        return { itemId: params.item_id, ...result }
      },
      {
        params: ItemIdParams,
        query: SimilarQuery,
        response: { 200: SimilarItems, 401: ErrorBody, 422: ErrorBody },
        detail: {
          summary: 'Items like this one ("customers who bought this also bought")',
          description: "The model's strongest links from this item, then popular items. Without a model: popular items.",
          security: API_KEY_SECURITY,
        },
      },
    )
    .get(
      '/popular',
      async ({ webshop, query }) => {
        const days = query.days ?? 30
        return { items: await popularNow(deps.store, { webshopId: webshop.id, limit: query.limit ?? 10, days, filter: parseFilter(query.filter) }), days }
      },
      {
        query: PopularQuery,
        response: { 200: PopularItems, 401: ErrorBody, 422: ErrorBody },
        detail: { summary: 'Trending items: the most events over the last `days` days', security: API_KEY_SECURITY },
      },
    )
