// The ingest path on the API side: complete each event (id, time), check its type against the
// webshop's settings, and hand it to the group-commit publisher; resolving means the bus has
// made it durable.
import { unprocessable } from './errors'
import type { EventPublisher } from './publisher'
import type { AcceptedEvent, EventInput } from './schemas'
import type { WebshopRecord } from './store/store'

/**
 * How far ahead of this server's clock an event's timestamp may be. An event dated years ahead
 * would stay the user's newest forever and, in Trending, outweigh every real event; a day covers
 * clocks set wrong and time zones mistaken for UTC.
 */
export const MAX_FUTURE_MS = 24 * 3_600_000

export async function acceptEvents(publisher: EventPublisher, webshop: WebshopRecord, input: EventInput | EventInput[], now = new Date()): Promise<number> {
  const events = Array.isArray(input) ? input : [input]
  const weights = webshop.settings.eventWeights
  const unknown = events.flatMap((e, index) => (e.type in weights ? [] : [{ index, type: e.type }]))
  if (unknown.length > 0) {
    throw unprocessable('custom event types must be declared in the webshop settings (PUT /webshops/ with settings.eventWeights)', unknown)
  }
  const latest = now.getTime() + MAX_FUTURE_MS
  const future = events.flatMap((e, index) => (e.timestamp && Date.parse(e.timestamp) > latest ? [{ index, timestamp: e.timestamp }] : []))
  if (future.length > 0) throw unprocessable('timestamp is more than 24 hours ahead of the server clock', future)
  const receivedAt = now.toISOString()
  const accepted: AcceptedEvent[] = events.map((e) => ({
    eventId: e.eventId ?? Bun.randomUUIDv7(),
    type: e.type,
    timestamp: e.timestamp ? new Date(e.timestamp).toISOString() : receivedAt,
    user: e.user,
    item: e.item,
  }))
  await publisher.publish(webshop.id, receivedAt, accepted)
  return accepted.length
}
