// Group commit on the ingest path. Events that concurrent requests of one webshop accept within
// a short window travel as one bus message, so one broker confirm (or one queue row) serves many
// requests. Every request is answered only after the message carrying its events is durable; if
// that fails, every request in it fails (503), none is told 202.
import type { Bus } from './bus/bus'
import { encodeJson } from './bus/bus'
import { MAX_EVENTS_PER_REQUEST, type AcceptedEvent, type EventBatchMessage } from './schemas'

interface Waiter {
  resolve: () => void
  reject: (err: unknown) => void
}

interface Pending {
  receivedAt: string
  events: AcceptedEvent[]
  waiters: Waiter[]
}

export interface PublisherOptions {
  /** How long the first request of a group waits for others (0: until the current event-loop turn ends). */
  windowMs: number
  /** Most events in one message. */
  maxEvents?: number
}

export class EventPublisher {
  private readonly pending = new Map<string, Pending>()
  private scheduled = false
  private readonly maxEvents: number

  constructor(
    private readonly bus: Bus,
    private readonly options: PublisherOptions,
  ) {
    this.maxEvents = options.maxEvents ?? MAX_EVENTS_PER_REQUEST
  }

  /** Resolves once these events are durable on the bus. */
  publish(webshopId: string, receivedAt: string, events: AcceptedEvent[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let group = this.pending.get(webshopId)
      if (group && group.events.length + events.length > this.maxEvents) {
        this.send(webshopId, group)
        group = undefined
      }
      if (!group) {
        group = { receivedAt, events: [], waiters: [] }
        this.pending.set(webshopId, group)
      }
      group.events.push(...events)
      group.waiters.push({ resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    const flush = () => {
      this.scheduled = false
      for (const [webshopId, group] of this.pending) this.send(webshopId, group)
    }
    if (this.options.windowMs > 0) setTimeout(flush, this.options.windowMs)
    else setImmediate(flush)
  }

  private send(webshopId: string, group: Pending): void {
    this.pending.delete(webshopId)
    const message: EventBatchMessage = { webshopId, receivedAt: group.receivedAt, events: group.events }
    this.bus.publish('events', encodeJson(message)).then(
      () => {
        for (const w of group.waiters) w.resolve()
      },
      (err) => {
        for (const w of group.waiters) w.reject(err)
      },
    )
  }
}
