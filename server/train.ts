import { Elysia } from 'elysia'
import { notFound } from '../core/errors'
import { jobView, queueTraining } from '../core/jobs'
import { ErrorBody, JobIdParams, TrainAccepted, TrainJob } from '../core/schemas'
import { API_KEY_SECURITY, auth } from './auth'
import type { AppDeps } from './deps'

export const trainRoutes = (deps: AppDeps) =>
  new Elysia({ prefix: '/train', tags: ['training'] })
    .use(auth(deps))
    .post(
      '/',
      async ({ webshop, status }) => {
        const job = await queueTraining(deps.store, deps.bus, webshop.id)
        return status(202, { jobId: job.id, status: job.status })
      },
      {
        response: { 202: TrainAccepted, 401: ErrorBody, 503: ErrorBody },
        detail: { summary: 'Start training a model', description: 'Poll GET /train/{job_id}/ until it is done or failed.', security: API_KEY_SECURITY },
      },
    )
    .get(
      '/:job_id',
      async ({ webshop, params }) => {
        const job = await deps.store.getJob(webshop.id, params.job_id)
        if (!job) throw notFound('training job')
        return jobView(job)
      },
      {
        params: JobIdParams,
        response: { 200: TrainJob, 401: ErrorBody, 404: ErrorBody },
        detail: { summary: 'Status of a training job', security: API_KEY_SECURITY },
      },
    )
