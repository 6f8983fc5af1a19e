// Runs training jobs from the train queue: fit, save the model, tell every server, mark done.
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { Bus, Outcome, Subscription } from '../core/bus/bus'
import { decodeJson, encodeJson } from '../core/bus/bus'
import type { ModelUpdated } from '../core/jobs'
import type { Logger } from '../core/log'
import { TrainJobMessage } from '../core/schemas'
import type { Store } from '../core/store/store'
import { trainWebshop } from '../recommender/training'

const checkJob = TypeCompiler.Compile(TrainJobMessage)

export async function runTrainJob(store: Store, bus: Bus, log: Logger, { jobId, webshopId }: TrainJobMessage): Promise<void> {
  const [webshop, job] = await Promise.all([store.findWebshopById(webshopId), store.getJob(webshopId, jobId)])
  if (!webshop || !job || job.status === 'done' || job.status === 'failed') return
  await store.updateJob(webshopId, jobId, { status: 'running', startedAt: new Date() })
  try {
    const trained = await trainWebshop(store, webshopId, webshop.settings.eventWeights, (progress) => store.updateJob(webshopId, jobId, { progress }))
    const version = await store.saveModel({ webshopId, trainedAt: new Date(), ...trained })
    const update: ModelUpdated = { webshopId, version }
    await bus.broadcast(encodeJson(update)).catch((err) => log.warn('model update broadcast failed; servers will poll', { err }))
    await store.updateJob(webshopId, jobId, { status: 'done', finishedAt: new Date(), modelVersion: version, progress: `done: ${trained.algorithm}` })
    log.info('model trained', { webshopId, jobId, version, algorithm: trained.algorithm, trainSeconds: trained.metrics.trainSeconds })
  } catch (err) {
    if (store.isTransientError(err)) throw err
    log.error('training failed', { err, webshopId, jobId })
    await store.updateJob(webshopId, jobId, { status: 'failed', finishedAt: new Date(), error: (err as Error).message })
  }
}

export async function startTrainer(bus: Bus, store: Store, log: Logger): Promise<Subscription> {
  return bus.consume(
    'train',
    async (messages) => {
      const outcomes: Outcome[] = []
      for (const message of messages) {
        let job: unknown
        try {
          job = decodeJson(message.body)
        } catch {
          job = null
        }
        if (!checkJob.Check(job)) {
          outcomes.push('dead')
          continue
        }
        try {
          await runTrainJob(store, bus, log, job)
        } catch (err) {
          // The store is unreachable: pause before the job goes back to the queue.
          await Bun.sleep(1_000)
          throw err
        }
        outcomes.push('ack')
      }
      return outcomes
    },
    { batchSize: 1, prefetch: 1, lingerMs: 0 },
  )
}
