// Training jobs: queued by the API, run by a worker, polled by the webshop.
import type { Bus } from './bus/bus'
import { encodeJson } from './bus/bus'
import type { TrainJobMessage, TrainJobView } from './schemas'
import type { JobRecord, Store } from './store/store'

export async function queueTraining(store: Store, bus: Bus, webshopId: string): Promise<JobRecord> {
  const job: JobRecord = { id: Bun.randomUUIDv7(), webshopId, status: 'queued', createdAt: new Date() }
  await store.createJob(job)
  const message: TrainJobMessage = { jobId: job.id, webshopId }
  try {
    await bus.publish('train', encodeJson(message))
  } catch (err) {
    await store.updateJob(webshopId, job.id, { status: 'failed', finishedAt: new Date(), error: 'could not be queued' })
    throw err
  }
  return job
}

export function jobView(job: JobRecord): TrainJobView {
  const view: TrainJobView = { jobId: job.id, status: job.status, createdAt: job.createdAt.toISOString() }
  if (job.startedAt) view.startedAt = job.startedAt.toISOString()
  if (job.finishedAt) view.finishedAt = job.finishedAt.toISOString()
  if (job.modelVersion !== undefined) view.modelVersion = job.modelVersion
  if (job.error !== undefined) view.error = job.error
  if (job.progress !== undefined) view.progress = job.progress
  return view
}

/** The broadcast that tells every server process a webshop has a new model. */
export interface ModelUpdated {
  webshopId: string
  version: number
}
