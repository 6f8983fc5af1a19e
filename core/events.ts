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

/** Whether the date part of an RFC 3339 timestamp names a day that exists (`new Date` rolls 30 February over to March). */
export function isCalendarDay(timestamp: string): boolean {
  const year = Number(timestamp.slice(0, 4))
  const month = Number(timestamp.slice(5, 7))
  const day = Number(timestamp.slice(8, 10))
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
  return days !== undefined && day >= 1 && day <= days
}

export async function acceptEvents(publisher: EventPublisher, webshop: WebshopRecord, input: EventInput | EventInput[], now = new Date()): Promise<number> {
  const events = Array.isArray(input) ? input : [input]
  const weights = webshop.settings.eventWeights
  const unknown = events.flatMap((e, index) => (e.type in weights ? [] : [{ index, type: e.type }]))
  if (unknown.length > 0) {
    throw unprocessable('custom event types must be declared in the webshop settings (PUT /webshops/ with settings.eventWeights)', unknown)
  }
  const latest = now.getTime() + MAX_FUTURE_MS
  const badTimes = events.flatMap((e, index) => {
    const problem = !e.timestamp ? null : !isCalendarDay(e.timestamp) ? 'no such day' : Date.parse(e.timestamp) > latest ? 'more than 24 hours ahead of the server clock' : null
    return problem ? [{ index, timestamp: e.timestamp, problem }] : []
  })
  if (badTimes.length > 0) throw unprocessable('timestamps must be real days, at most 24 hours ahead of the server clock', badTimes)
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
