// Which real services this run can reach. A suite for a service that is unreachable is skipped
// with the reason printed, on a developer's bare machine; under CI=true it fails instead, so CI
// never passes with a suite skipped.
import { connect } from 'node:net'

export const mongoUrl = process.env.MONGODB_URL
export const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'

async function reachable(url: string | undefined, defaultPort: number): Promise<boolean> {
  if (!url) return false
  const u = new URL(url.replace(/^mongodb(\+srv)?:/, 'http:').replace(/^amqps?:/, 'http:'))
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || defaultPort), timeout: 1_000 })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

const reported = new Set<string>()
function available(service: string, ok: boolean, how: string): boolean {
  if (ok) return true
  if (process.env.CI === 'true') throw new Error(`${service} is required in CI but unreachable (${how})`)
  if (!reported.has(service)) {
    reported.add(service)
    console.warn(`SKIPPED: ${service} suites: ${how}`)
  }
  return false
}

export const hasMongo = available(
  'MongoDB',
  await reachable(mongoUrl, 27017),
  mongoUrl ? `nothing answers at ${mongoUrl}` : 'MONGODB_URL is unset (start FerretDB with `bun run ferretdb` and export the URL it prints)',
)
export const hasRabbit = available('RabbitMQ', await reachable(amqpUrl, 5672), `nothing answers at ${amqpUrl}`)

/** A name no other test run uses, for databases, queues and exchanges. */
export const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await Bun.sleep(50)
  }
}
