// Bus → store. Each message is checked against the schema (a message that never can be stored is
// dead-lettered at once); the valid ones are written as one batch, retried with backoff while the
// store is unreachable, and acknowledged only after the write. Redelivery is harmless because
// events are unique per (webshop, eventId).
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { BatchHandler, Bus, ConsumeOptions, Message, Outcome, Subscription } from '../core/bus/bus'
import { decodeJson } from '../core/bus/bus'
import { ingest } from '../core/ingest'
import type { Logger } from '../core/log'
import { EventBatchMessage } from '../core/schemas'
import type { Store } from '../core/store/store'

const checkMessage = TypeCompiler.Compile(EventBatchMessage)
const MAX_BACKOFF_MS = 30_000

export interface EventConsumerOptions extends ConsumeOptions {
  log: Logger
  /** Called after each stored batch (tests and metrics hook in here). */
  onStored?: (stored: number, messages: number) => void
}

export function decodeEventMessage(message: Message): EventBatchMessage | null {
  try {
    const value = decodeJson(message.body)
    return checkMessage.Check(value) ? value : null
  } catch {
    return null
  }
}

export function eventBatchHandler(store: Store, options: Pick<EventConsumerOptions, 'log' | 'onStored'>, isStopping: () => boolean): BatchHandler {
  const { log } = options
  const write = async (messages: EventBatchMessage[]): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await ingest(store, messages)
      } catch (err) {
        if (!store.isTransientError(err) || isStopping()) throw err
        const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt)
        log.warn('store unavailable; retrying batch', { err, attempt, delayMs: delay })
        await Bun.sleep(delay)
      }
    }
  }

  return async (messages) => {
    const decoded = messages.map(decodeEventMessage)
    const outcomes: Outcome[] = decoded.map((m) => (m ? 'ack' : 'dead'))
    const valid = decoded.filter((m): m is EventBatchMessage => m !== null)
    if (outcomes.includes('dead')) log.warn('dead-lettering malformed event messages', { count: outcomes.filter((o) => o === 'dead').length })
    if (valid.length === 0) return outcomes
    try {
      // Not `onStored?.(await write())`: an optional call skips evaluating its arguments.
      const stored = await write(valid)
      options.onStored?.(stored, valid.length)
      return outcomes
    } catch (err) {
      if (store.isTransientError(err)) throw err
      log.warn('batch write failed; writing its messages one by one', { err })
    }
    // A permanent failure: find the message(s) responsible and set only those aside.
    for (let i = 0; i < decoded.length; i++) {
      const message = decoded[i]
      if (!message) continue
      try {
        const stored = await write([message])
        options.onStored?.(stored, 1)
      } catch (err) {
        if (store.isTransientError(err)) throw err
        log.error('dead-lettering an event message the store rejects', { err, webshopId: message.webshopId })
        outcomes[i] = 'dead'
      }
    }
    return outcomes
  }
}

export async function startEventConsumer(bus: Bus, store: Store, options: EventConsumerOptions): Promise<Subscription> {
  let stopping = false
  const subscription = await bus.consume('events', eventBatchHandler(store, options, () => stopping), options)
  return {
    stop: async () => {
      stopping = true
      await subscription.stop()
    },
  }
}
