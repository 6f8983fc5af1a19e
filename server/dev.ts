// `bun run dev`: API and worker in one process, on whichever adapters the environment selects
// (the embedded SQLite store and queue when MONGODB_URL and AMQP_URL are unset).
import { boot, onShutdown } from '../core/boot'
import { startWorker } from '../worker/index'
import { startServer } from './index'

const { config, log, ports } = await boot('dev')
const worker = await startWorker(ports, config, log)
const server = await startServer(ports, config, log)
log.info('aisle is running', { api: server.url, docs: `${server.url}/swagger`, mode: ports.description })
onShutdown(log, async () => {
  await server.stop()
  await worker.stop()
  await ports.close()
})
