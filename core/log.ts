// One JSON line per log record on stderr, filtered by LOG_LEVEL.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
export type LogLevel = keyof typeof LEVELS

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export function createLogger(level: LogLevel, component: string): Logger {
  const threshold = LEVELS[level]
  const write = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < threshold) return
    const record: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, component, msg, ...fields }
    if (fields?.err instanceof Error) record.err = { name: fields.err.name, message: fields.err.message }
    process.stderr.write(JSON.stringify(record) + '\n')
  }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}
