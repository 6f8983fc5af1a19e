// The API process.
import { decodeJson } from '../core/bus/bus'
import type { Config } from '../core/config'
import type { ModelUpdated } from '../core/jobs'
import type { Logger } from '../core/log'
import type { Ports } from '../core/ports'
import { EventPublisher } from '../core/publisher'
import { InlineScorer, ThreadScorer } from '../recommender/scorer'
import { ModelCache } from '../recommender/serving'
import { createApp } from './app'
import { ApiKeyCache } from './auth'

export async function startServer({ store, bus }: Ports, config: Config, log: Logger) {
  const scorer = config.RECOMMEND_THREADS > 0 ? new ThreadScorer(config, config.RECOMMEND_THREADS, log) : new InlineScorer(store)
  const models = new ModelCache(store, config.MODEL_REFRESH_MS, config.RECOMMEND_CACHE_ENTRIES, scorer)
  const updates = await bus.subscribeBroadcast((body) => {
    try {
      const update = decodeJson(body) as ModelUpdated
      log.debug('model update heard', { ...update })
      models.invalidate(update.webshopId)
    } catch {
      // A malformed broadcast only costs a later refresh.
    }
  })
  const keys = new ApiKeyCache(store, config.AUTH_CACHE_MS)
  const publisher = new EventPublisher(bus, { windowMs: config.PUBLISH_WINDOW_MS })
  const app = createApp({ store, bus, publisher, models, keys, config, log }).listen({ port: config.PORT, hostname: config.HOST })
  const url = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${app.server!.port}`
  log.info('listening', { url, docs: `${url}/swagger` })
  return {
    app,
    url,
    stop: async () => {
      await app.stop()
      await updates.stop()
      await scorer.close()
    },
  }
}

if (import.meta.main) {
  const { boot, onShutdown } = await import('../core/boot')
  const { config, log, ports } = await boot('server')
  const server = await startServer(ports, config, log)
  onShutdown(log, async () => {
    await server.stop()
    await ports.close()
  })
}
