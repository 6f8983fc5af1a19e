import { expect, test } from 'bun:test'
import { planBatches } from '../../core/ingest'
import type { EventBatchMessage } from '../../core/schemas'

const msg = (webshopId: string, events: [string, string, string, Record<string, string | number>, string][]): EventBatchMessage => ({
  webshopId,
  receivedAt: '2026-01-01T10:00:00.000Z',
  events: events.map(([eventId, user, item, itemAttrs, timestamp]) => ({
    eventId,
    type: 'view',
    timestamp,
    user: { id: user },
    item: { id: item, attributes: itemAttrs },
  })),
})

test('groups by webshop and upserts each entity once, later attributes winning', () => {
  const plans = planBatches([
    msg('shop-a', [
      ['1', 'u1', 'i1', { color: 'red', size: 'M' }, '2026-01-01T09:00:00Z'],
      ['2', 'u2', 'i1', { color: 'blue' }, '2026-01-01T09:05:00Z'],
    ]),
    msg('shop-b', [['3', 'u1', 'i1', { color: 'green' }, '2026-01-01T08:00:00Z']]),
    msg('shop-a', [['4', 'u1', 'i2', {}, '2026-01-01T09:10:00Z']]),
  ])
  expect(plans.map((p) => p.webshopId)).toEqual(['shop-a', 'shop-b'])
  const [a, b] = plans as [(typeof plans)[0], (typeof plans)[0]]
  expect(a.events.map((e) => e.eventId)).toEqual(['1', '2', '4'])
  expect(a.users.map((u) => u.externalId)).toEqual(['u1', 'u2'])
  expect(a.items).toHaveLength(2)
  expect(a.items[0]).toEqual({ externalId: 'i1', attributes: { color: 'blue', size: 'M' }, seenAt: new Date('2026-01-01T09:05:00Z') })
  expect(a.users[0]!.seenAt).toEqual(new Date('2026-01-01T09:10:00Z'))
  expect(b.items[0]!.attributes).toEqual({ color: 'green' })
  expect(a.events[0]!.receivedAt).toEqual(new Date('2026-01-01T10:00:00.000Z'))
})
