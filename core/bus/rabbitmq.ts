// RabbitMQ adapter on amqplib: durable queues, persistent messages, publisher confirms, manual
// acks with a prefetch, and a dead-letter queue beside each work queue. amqplib's own recovery
// reconnects; `setup` re-creates the channels and consumers on every new connection.
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib'
import { UnavailableError } from '../errors'
import type { Logger } from '../log'
import type { BatchHandler, Bus, ConsumeOptions, QueueName, Subscription } from './bus'

export interface RabbitTopology {
  eventsExchange: string
  eventsQueue: string
  trainQueue: string
  modelsExchange: string
}

const CONFIRM_TIMEOUT_MS = 10_000

interface Route {
  exchange: string
  routingKey: string
  queue: string
}

interface ConsumerSpec {
  queue: QueueName
  handler: BatchHandler
  options: ConsumeOptions
  /** Set while connected: the channel this consumer runs on. */
  channel: Channel | null
  stopped: boolean
  /** The batch being handled, so stop() can wait for it. */
  inFlight: Promise<void>
}

export class RabbitBus implements Bus {
  private connection: RecoveringChannelModel | null = null
  private publisher: ConfirmChannel | null = null
  private readonly consumers = new Set<ConsumerSpec>()
  private readonly broadcastHandlers = new Set<(body: Uint8Array) => void>()
  private readonly routes: Record<QueueName, Route>
  private readonly deadLetterExchange: string

  constructor(
    private readonly url: string,
    private readonly topology: RabbitTopology,
    private readonly log: Logger,
  ) {
    this.routes = {
      events: { exchange: topology.eventsExchange, routingKey: topology.eventsQueue, queue: topology.eventsQueue },
      train: { exchange: '', routingKey: topology.trainQueue, queue: topology.trainQueue },
    }
    this.deadLetterExchange = `${topology.eventsExchange}.dlx`
  }

  async init(): Promise<void> {
    this.connection = await amqp.connect(this.url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 5_000,
        initialMaxRetries: 5,
        maxRetries: Infinity,
        setup: (model: ChannelModel) => this.setup(model),
      },
    })
    this.connection.on('disconnect', (err: Error) => {
      this.publisher = null
      for (const c of this.consumers) c.channel = null
      this.log.warn('rabbitmq disconnected; reconnecting', { err })
    })
    this.connection.on('error', (err: Error) => this.log.warn('rabbitmq error', { err }))
  }

  async close(): Promise<void> {
    for (const c of this.consumers) {
      c.stopped = true
      c.channel = null
    }
    this.publisher = null
    await this.connection?.close().catch(() => {})
    this.connection = null
  }

  async publish(queue: QueueName, body: Uint8Array): Promise<void> {
    const channel = this.publisher
    if (!channel) throw new UnavailableError('message broker is not connected')
    const { exchange, routingKey } = this.routes[queue]
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new UnavailableError('message broker did not confirm in time')), CONFIRM_TIMEOUT_MS)
      try {
        channel.publish(exchange, routingKey, Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
          persistent: true,
          contentType: 'application/json',
        }, (err) => {
          clearTimeout(timer)
          if (err) reject(new UnavailableError('message broker refused the message'))
          else resolve()
        })
      } catch (err) {
        clearTimeout(timer)
        reject(new UnavailableError(`publish failed: ${(err as Error).message}`))
      }
    })
  }

  async consume(queue: QueueName, handler: BatchHandler, options: ConsumeOptions): Promise<Subscription> {
    const spec: ConsumerSpec = { queue, handler, options, channel: null, stopped: false, inFlight: Promise.resolve() }
    this.consumers.add(spec)
    if (this.connection && this.publisher) await this.startConsumer(spec, await this.connection.createChannel())
    return {
      stop: async () => {
        spec.stopped = true
        this.consumers.delete(spec)
        await spec.inFlight
        await spec.channel?.close().catch(() => {})
      },
    }
  }

  async stats(queue: QueueName): Promise<{ ready: number; dead: number }> {
    const channel = this.publisher
    if (!channel) throw new UnavailableError('message broker is not connected')
    const name = this.routes[queue].queue
    const [main, dead] = await Promise.all([channel.checkQueue(name), channel.checkQueue(`${name}.dead`)])
    return { ready: main.messageCount, dead: dead.messageCount }
  }

  async broadcast(body: Uint8Array): Promise<void> {
    const channel = this.publisher
    if (!channel) throw new UnavailableError('message broker is not connected')
    channel.publish(this.topology.modelsExchange, '', Buffer.from(body))
  }

  async subscribeBroadcast(handler: (body: Uint8Array) => void): Promise<Subscription> {
    this.broadcastHandlers.add(handler)
    return { stop: async () => void this.broadcastHandlers.delete(handler) }
  }

  /** Runs after every (re)connect: topology, publisher, consumers, broadcast listener. */
  private async setup(model: ChannelModel): Promise<void> {
    const ch = await model.createConfirmChannel()
    const dlx = this.deadLetterExchange
    await ch.assertExchange(dlx, 'direct', { durable: true })
    await ch.assertExchange(this.topology.eventsExchange, 'direct', { durable: true })
    await ch.assertExchange(this.topology.modelsExchange, 'fanout', { durable: true })
    for (const { exchange, queue } of Object.values(this.routes)) {
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': queue } })
      await ch.assertQueue(`${queue}.dead`, { durable: true })
      await ch.bindQueue(`${queue}.dead`, dlx, queue)
      if (exchange) await ch.bindQueue(queue, exchange, queue)
    }
    ch.on('error', (err: Error) => this.log.warn('rabbitmq publisher channel error', { err }))
    this.publisher = ch

    // Every process hears model updates on a queue of its own that disappears with it.
    const sub = await model.createChannel()
    const { queue } = await sub.assertQueue('', { exclusive: true, autoDelete: true })
    await sub.bindQueue(queue, this.topology.modelsExchange, '')
    await sub.consume(queue, (msg) => {
      if (!msg) return
      for (const handler of this.broadcastHandlers) handler(new Uint8Array(msg.content))
    }, { noAck: true })

    for (const spec of this.consumers) {
      if (!spec.stopped) await this.startConsumer(spec, await model.createChannel())
    }
    this.log.info('rabbitmq connected')
  }

  private async startConsumer(spec: ConsumerSpec, channel: Channel): Promise<void> {
    spec.channel = channel
    channel.on('error', (err: Error) => this.log.warn('rabbitmq consumer channel error', { err, queue: spec.queue }))
    await channel.prefetch(spec.options.prefetch)
    const buffer: ConsumeMessage[] = []
    const maxBytes = spec.options.maxBytes ?? Number.MAX_SAFE_INTEGER
    let bufferedBytes = 0
    let timer: ReturnType<typeof setTimeout> | null = null

    const flush = () => {
      if (timer) clearTimeout(timer)
      timer = null
      while (buffer.length > 0) {
        let take = 0
        for (let bytes = 0; take < buffer.length && take < spec.options.batchSize && bytes < maxBytes; take++) bytes += buffer[take]!.content.byteLength
        const batch = buffer.splice(0, take)
        spec.inFlight = spec.inFlight.then(() => this.handleBatch(spec, channel, batch))
      }
      bufferedBytes = 0
    }

    await channel.consume(this.routes[spec.queue].queue, (msg) => {
      if (!msg || spec.stopped) return
      buffer.push(msg)
      bufferedBytes += msg.content.byteLength
      if (buffer.length >= spec.options.batchSize || bufferedBytes >= maxBytes) flush()
      else if (!timer) timer = setTimeout(flush, spec.options.lingerMs)
    })
  }

  private async handleBatch(spec: ConsumerSpec, channel: Channel, batch: ConsumeMessage[]): Promise<void> {
    // Stopping: batches still waiting are left unacknowledged and go back to the queue when the
    // channel closes, so a shutdown waits only for the batch in hand, not for the whole prefetch.
    if (spec.stopped) return
    let outcomes
    try {
      outcomes = await spec.handler(batch.map((m) => ({ body: new Uint8Array(m.content), redelivered: m.fields.redelivered })))
    } catch (err) {
      // Not now: back to the queue for another try. The handler retries transient failures itself,
      // so this is shutdown or a lost connection, where the broker requeues anyway.
      this.log.warn('batch not handled; requeueing', { err, queue: spec.queue })
      settle(() => batch.forEach((m) => channel.nack(m, false, true)))
      return
    }
    settle(() =>
      batch.forEach((m, i) => {
        if (outcomes[i] === 'dead') channel.nack(m, false, false)
        else channel.ack(m)
      }),
    )
  }
}

/**
 * Acks and nacks on a channel that may have closed meanwhile. Its deliveries then went back to
 * the queue with the channel, and an ack on another channel is impossible: nothing to do.
 */
function settle(acknowledge: () => void): void {
  try {
    acknowledge()
  } catch (err) {
    if (!(err instanceof Error && err.name === 'IllegalOperationError')) throw err
  }
}
