import type { EventBatchMessage } from '../../core/schemas'
import type { IngestBatch, WebshopRecord } from '../../core/store/store'
import { defaultSettings } from '../../core/webshops'

let counter = 0
export function webshopRecord(overrides: Partial<WebshopRecord> = {}): WebshopRecord {
  counter++
  const now = new Date()
  return {
    id: crypto.randomUUID(),
    email: `shop${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`,
    name: `Shop ${counter}`,
    passwordHash: 'not-a-real-hash',
    apiKeyHash: crypto.randomUUID(),
    apiKeyPrefix: 'aisle_test',
    settings: defaultSettings(),
    createdAt: now,
    updatedAt: now,
    ...overrides,
  }
}

export const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute))

export function batch(webshopId: string, events: [eventId: string, userId: string, itemId: string, type: string, minute: number][]): IngestBatch {
  return {
    webshopId,
    users: [...new Set(events.map((e) => e[1]))].map((externalId) => ({ externalId, attributes: {}, seenAt: at(0) })),
    items: [...new Set(events.map((e) => e[2]))].map((externalId) => ({ externalId, attributes: {}, seenAt: at(0) })),
    events: events.map(([eventId, userId, itemId, type, minute]) => ({ eventId, userId, itemId, type, timestamp: at(minute), receivedAt: at(minute) })),
  }
}

export function eventMessage(webshopId: string, count: number, prefix = 'e'): EventBatchMessage {
  return {
    webshopId,
    receivedAt: new Date().toISOString(),
    events: Array.from({ length: count }, (_, i) => ({
      eventId: `${prefix}-${i}`,
      type: i % 3 === 0 ? 'purchase' : 'view',
      timestamp: at(i).toISOString(),
      user: { id: `u${i % 5}`, attributes: { segment: `s${i % 2}` } },
      item: { id: `i${i % 7}`, attributes: { price: i } },
    })),
  }
}
