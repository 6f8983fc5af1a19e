// The worker process: consumes events into the store and runs training jobs.
import type { Subscription } from '../core/bus/bus'
import type { Config } from '../core/config'
import type { Logger } from '../core/log'
import type { Ports } from '../core/ports'
import { startEventConsumer } from './consumer'
import { startTrainer } from './trainer'

export async function startWorker({ store, bus }: Ports, config: Config, log: Logger): Promise<Subscription> {
  const events = await startEventConsumer(bus, store, {
    batchSize: config.WORKER_BATCH_SIZE,
    prefetch: config.WORKER_PREFETCH,
    lingerMs: config.WORKER_LINGER_MS,
    maxBytes: config.WORKER_BATCH_BYTES,
    log,
    onStored: (stored, messages) => log.debug('stored batch', { stored, messages }),
  })
  const trainer = await startTrainer(bus, store, log)
  return {
    stop: async () => {
      await Promise.all([events.stop(), trainer.stop()])
    },
  }
}

if (import.meta.main) {
  const { boot, onShutdown } = await import('../core/boot')
  const { config, log, ports } = await boot('worker')
  const worker = await startWorker(ports, config, log)
  onShutdown(log, async () => {
    await worker.stop()
    await ports.close()
  })
}
