// Folds accepted event messages into store writes. Pure planning (planBatches) is separate from
// the write (ingest) so the merge rules are unit-testable.
import type { Attributes, EventBatchMessage } from './schemas'
import type { EntityUpsert, IngestBatch, Store } from './store/store'

/**
 * Groups messages by webshop. Each user and item appears once per batch, its attributes merged
 * in event order (later keys win), so the store does one upsert per entity, not one per event.
 */
export function planBatches(messages: EventBatchMessage[]): IngestBatch[] {
  const byShop = new Map<string, { users: Map<string, EntityUpsert>; items: Map<string, EntityUpsert>; batch: IngestBatch }>()
  for (const message of messages) {
    let plan = byShop.get(message.webshopId)
    if (!plan) {
      plan = { users: new Map(), items: new Map(), batch: { webshopId: message.webshopId, users: [], items: [], events: [] } }
      byShop.set(message.webshopId, plan)
    }
    const receivedAt = new Date(message.receivedAt)
    for (const event of message.events) {
      const timestamp = new Date(event.timestamp)
      merge(plan.users, event.user.id, event.user.attributes, timestamp)
      merge(plan.items, event.item.id, event.item.attributes, timestamp)
      plan.batch.events.push({
        eventId: event.eventId,
        userId: event.user.id,
        itemId: event.item.id,
        type: event.type,
        timestamp,
        receivedAt,
      })
    }
  }
  return [...byShop.values()].map(({ users, items, batch }) => ({ ...batch, users: [...users.values()], items: [...items.values()] }))
}

function merge(into: Map<string, EntityUpsert>, externalId: string, attributes: Attributes | undefined, seenAt: Date): void {
  const existing = into.get(externalId)
  if (!existing) {
    into.set(externalId, { externalId, attributes: { ...attributes }, seenAt })
    return
  }
  Object.assign(existing.attributes, attributes)
  if (seenAt > existing.seenAt) existing.seenAt = seenAt
}

/** Writes the messages; events of webshops deleted meanwhile are dropped. Returns events newly stored. */
export async function ingest(store: Store, messages: EventBatchMessage[]): Promise<number> {
  const batches = planBatches(messages)
  const live = await store.existingWebshopIds(batches.map((b) => b.webshopId))
  let stored = 0
  for (const batch of batches) {
    if (live.has(batch.webshopId)) stored += await store.writeBatch(batch)
  }
  return stored
}
