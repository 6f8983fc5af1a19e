import { Elysia } from 'elysia'
import { notFound } from '../core/errors'
import { ErrorBody, ModelInfo } from '../core/schemas'
import { API_KEY_SECURITY, auth } from './auth'
import type { AppDeps } from './deps'

export const modelRoutes = (deps: AppDeps) =>
  new Elysia({ prefix: '/models', tags: ['training'] })
    .use(auth(deps))
    .get(
      '/latest',
      async ({ webshop }) => {
        const model = await deps.store.latestModel(webshop.id)
        if (!model) throw notFound('model')
        return { version: model.version, algorithm: model.algorithm, trainedAt: model.trainedAt.toISOString(), params: model.params, metrics: model.metrics }
      },
      {
        response: { 200: ModelInfo, 401: ErrorBody, 404: ErrorBody },
        detail: {
          summary: 'The model now serving: algorithm, parameters, and how every candidate scored',
          description: 'metrics.selection lists each candidate algorithm with its NDCG@10 on a holdout of your newest interactions and its training time.',
          security: API_KEY_SECURITY,
        },
      },
    )
