// The messaging port. Two work queues with competing consumers and at-least-once delivery,
// plus a broadcast every process hears (model updates). Adapters: rabbitmq.ts (production),
// local.ts (embedded, a durable queue table in the SQLite file).

export type QueueName = 'events' | 'train'

export interface Message {
  body: Uint8Array
  /** The broker delivered this message before and it was not acknowledged. */
  redelivered: boolean
}

/** What became of each message of a batch, in order: stored (`ack`) or never processable (`dead`). */
export type Outcome = 'ack' | 'dead'

/**
 * Handles a batch and says what became of each message. Throwing means "not now": every message
 * of the batch stays on the queue and is delivered again.
 */
export type BatchHandler = (messages: Message[]) => Promise<Outcome[]>

export interface ConsumeOptions {
  /** Most messages handed to the handler at once. */
  batchSize: number
  /** Most unacknowledged messages held by this consumer. */
  prefetch: number
  /** How long to wait for a batch to fill once its first message is there. */
  lingerMs: number
  /** A batch takes no more messages once their bodies reach this many bytes (it always takes one). */
  maxBytes?: number
}

export interface Subscription {
  /** Stops taking new messages and waits for the batch in hand to finish. */
  stop(): Promise<void>
}

export interface Bus {
  init(): Promise<void>
  close(): Promise<void>
  /** Resolves once the message is durable (broker confirm, or commit); rejects with UnavailableError otherwise. */
  publish(queue: QueueName, body: Uint8Array): Promise<void>
  consume(queue: QueueName, handler: BatchHandler, options: ConsumeOptions): Promise<Subscription>
  /** Messages waiting on a queue (not counting those in flight) and set aside as dead letters. */
  stats(queue: QueueName): Promise<{ ready: number; dead: number }>
  /** Best effort, to every subscribed process; receivers must tolerate loss (they also poll). */
  broadcast(body: Uint8Array): Promise<void>
  subscribeBroadcast(handler: (body: Uint8Array) => void): Promise<Subscription>
}

export const encodeJson = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))
export const decodeJson = (body: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(body))
