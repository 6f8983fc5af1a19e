// `bun run dev`: API and worker in one process, on whichever adapters the environment selects
// (the embedded SQLite store and queue when MONGODB_URL and AMQP_URL are unset). The API runs on
// the main thread and the worker on a thread of its own (worker/thread.ts).
import { boot, onShutdown } from '../core/boot'
import { startWorkerThread } from '../worker/spawn'
import { startServer } from './index'

const { config, log, ports } = await boot('dev')
const worker = await startWorkerThread(log)
const server = await startServer(ports, config, log)
log.info('aisle is running', { api: server.url, docs: `${server.url}/swagger`, mode: ports.description })
onShutdown(log, async () => {
  await server.stop()
  await worker.stop()
  await ports.close()
})
