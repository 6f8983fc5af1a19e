// Start-up shared by the server, the worker and dev: config (or a clear message and exit 1),
// logger, ports, and a graceful stop on SIGINT/SIGTERM.
import { ConfigError, loadConfig, type Config } from './config'
import { createLogger, type Logger } from './log'
import { openPorts, type Ports } from './ports'

export async function boot(component: string): Promise<{ config: Config; log: Logger; ports: Ports }> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`aisle ${component}: ${err.message}`)
      process.exit(1)
    }
    throw err
  }
  const log = createLogger(config.LOG_LEVEL, component)
  try {
    const ports = await openPorts(config, log)
    log.info('ready', { mode: ports.description })
    return { config, log, ports }
  } catch (err) {
    log.error('cannot start: a dependency is unreachable', { err })
    process.exit(1)
  }
}

/**
 * How long a stop may take before the process exits anyway (status 1). Leaving work in hand is
 * safe: RabbitMQ redelivers unacknowledged messages, the embedded queue's next start takes back
 * the leases of a process that is gone, an unfinished SQLite transaction rolls back, and stored
 * events are idempotent. Without it a worker whose store hung (FerretDB under a backlog) ignored
 * SIGTERM for 25 minutes. Shorter than the 10 s Docker waits before SIGKILL.
 */
export const STOP_DEADLINE_MS = 8_000

/** Runs `stop` once on SIGINT or SIGTERM, then exits: 0 when it finished, 1 after `deadlineMs`. */
export function onShutdown(log: Logger, stop: () => Promise<void>, deadlineMs = STOP_DEADLINE_MS): void {
  let stopping = false
  const handler = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('shutting down', { signal })
    setTimeout(() => {
      log.warn('stop did not finish in time; exiting, what was in hand is delivered again', { deadlineMs })
      process.exit(1)
    }, deadlineMs)
    try {
      await stop()
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
}
