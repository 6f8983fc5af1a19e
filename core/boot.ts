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

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false
  const handler = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('shutting down', { signal })
    try {
      await stop()
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
}
