// The worker role on a thread of its own, for `bun run dev`: the same code as `bun run worker`
// with its own connections (SQLite files, or MongoDB and RabbitMQ), so the worker's bulk writes
// and the API's requests run on two cores instead of taking turns on one. The main thread posts
// 'stop'; this thread answers 'stopped' once the batch in hand is stored and its files are closed.
import { boot } from '../core/boot'
import { startWorker } from './index'

declare const self: Worker

const { config, log, ports } = await boot('worker')
const worker = await startWorker(ports, config, log)
self.onmessage = async (e: MessageEvent) => {
  if (e.data !== 'stop') return
  await worker.stop()
  await ports.close()
  self.postMessage('stopped')
}
self.postMessage('ready')
