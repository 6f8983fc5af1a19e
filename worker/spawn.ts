// Starts worker/thread.ts and stops it. If the thread ends on its own (it could not reach its
// store, or it crashed), the process exits with an error rather than run an API whose events
// would never be stored; what was accepted stays on the queue for the next start.
import type { Subscription } from '../core/bus/bus'
import type { Logger } from '../core/log'

export async function startWorkerThread(log: Logger): Promise<Subscription> {
  const thread = new Worker(new URL('./thread.ts', import.meta.url).href)
  let stopping = false
  let stopped: () => void = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    thread.addEventListener('message', (e: MessageEvent) => {
      if (e.data === 'ready') resolve()
      if (e.data === 'stopped') stopped()
    })
    thread.addEventListener('error', (e: ErrorEvent) => {
      log.error('worker thread failed', { err: e.error ?? e.message })
      reject(new Error(`worker thread failed: ${e.message}`))
    })
    thread.addEventListener('close', () => {
      if (stopping) return
      log.error('worker thread ended; stopping')
      process.exit(1)
    })
  })
  await ready
  return {
    stop: async () => {
      stopping = true
      await new Promise<void>((resolve) => {
        stopped = resolve
        thread.postMessage('stop')
      })
      thread.terminate()
    },
  }
}
