// One suite every Store adapter must pass (the shape of gorse's storage tests).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { DuplicateEmailError, MODELS_KEPT, type Store } from '../../core/store/store'
import type { Harness } from '../helpers/adapters'
import { at, batch, webshopRecord } from '../helpers/fixtures'

export function storeContract(name: string, open: () => Promise<Harness<Store>>) {
  describe(`Store contract: ${name}`, () => {
    let harness: Harness<Store>
    let store: Store
    beforeAll(async () => {
      harness = await open()
      store = harness.value
    })
    afterAll(async () => harness?.dispose())

    test('creates webshops and finds them by id and key hash; a taken email is refused', async () => {
      const w = webshopRecord()
      await store.createWebshop(w)
      expect((await store.findWebshopById(w.id))?.email).toBe(w.email)
      expect((await store.findWebshopByKeyHash(w.apiKeyHash))?.id).toBe(w.id)
      expect(await store.findWebshopByKeyHash('nope')).toBeNull()
      await expect(store.createWebshop(webshopRecord({ email: w.email }))).rejects.toBeInstanceOf(DuplicateEmailError)
    })

    test('updates a webshop; moving to a taken email is refused', async () => {
      const a = webshopRecord()
      const b = webshopRecord()
      await store.createWebshop(a)
      await store.createWebshop(b)
      const later = new Date(a.updatedAt.getTime() + 1000)
      const updated = await store.updateWebshop(a.id, { name: 'Renamed', settings: { eventWeights: { view: 3 } } }, later)
      expect(updated?.name).toBe('Renamed')
      expect(updated?.settings.eventWeights.view).toBe(3)
      expect(updated?.email).toBe(a.email)
      expect(updated?.updatedAt.getTime()).toBe(later.getTime())
      await expect(store.updateWebshop(a.id, { email: b.email }, later)).rejects.toBeInstanceOf(DuplicateEmailError)
      expect(await store.updateWebshop(crypto.randomUUID(), { name: 'x' }, later)).toBeNull()
    })

    test('writes a batch: entities merge attributes, a redelivered event is stored once', async () => {
      const w = webshopRecord()
      await store.createWebshop(w)
      const first = batch(w.id, [['e1', 'u1', 'i1', 'view', 1], ['e2', 'u1', 'i2', 'purchase', 2]])
      first.items[0]!.attributes = { color: 'red', size: 'M' }
      expect(await store.writeBatch(first)).toBe(2)
      const again = batch(w.id, [['e2', 'u1', 'i2', 'purchase', 2], ['e3', 'u2', 'i1', 'click', 3]])
      again.items.find((i) => i.externalId === 'i1')!.attributes = { color: 'blue', tags: ['a', 'b'] }
      expect(await store.writeBatch(again)).toBe(1)
      const item = await store.findEntity('items', w.id, 'i1')
      expect(item?.attributes).toEqual({ color: 'blue', size: 'M', tags: ['a', 'b'] })
      expect(await store.findEntity('users', w.id, 'u2')).not.toBeNull()
      expect(await store.totals(w.id)).toEqual({ users: 2, items: 2, events: 3 })
    })

    test("reads a user's events newest first, limited, and only the caller's", async () => {
      const w = webshopRecord()
      const other = webshopRecord()
      await store.createWebshop(w)
      await store.createWebshop(other)
      await store.writeBatch(batch(w.id, [['a', 'u1', 'i1', 'view', 5], ['b', 'u1', 'i2', 'view', 9], ['c', 'u1', 'i3', 'view', 7], ['d', 'u2', 'i1', 'view', 8]]))
      await store.writeBatch(batch(other.id, [['z', 'u1', 'i9', 'view', 10]]))
      const events = await store.userEvents(w.id, 'u1', 2)
      expect(events.map((e) => e.eventId)).toEqual(['b', 'c'])
      expect(events[0]!.timestamp.getTime()).toBe(at(9).getTime())
      expect((await store.userEvents(other.id, 'u1', 10)).map((e) => e.itemId)).toEqual(['i9'])
      const history = await store.userHistory(w.id, 'u1', 2)
      expect(history).toEqual([
        { itemId: 'i2', type: 'view', timestamp: at(9) },
        { itemId: 'i3', type: 'view', timestamp: at(7) },
      ])
      expect(await store.findEntity('items', other.id, 'i1')).toBeNull()
    })

    test("counts a user's events: new ones add, redelivered ones do not, other shops never", async () => {
      const w = webshopRecord()
      const other = webshopRecord()
      await store.createWebshop(w)
      await store.createWebshop(other)
      expect(await store.userEventCount(w.id, 'u1')).toBe(0)
      await store.writeBatch(batch(w.id, [['a', 'u1', 'i1', 'view', 1], ['b', 'u1', 'i2', 'view', 2], ['c', 'u2', 'i1', 'view', 3]]))
      await store.writeBatch(batch(other.id, [['a', 'u1', 'i1', 'view', 1]]))
      expect(await store.userEventCount(w.id, 'u1')).toBe(2)
      await store.writeBatch(batch(w.id, [['b', 'u1', 'i2', 'view', 2], ['d', 'u1', 'i3', 'view', 4]]))
      expect(await store.userEventCount(w.id, 'u1')).toBe(3)
      expect(await store.userEventCount(other.id, 'u1')).toBe(1)
    })

    test('finds the items whose attributes match a filter, in the caller\'s shop only', async () => {
      const w = webshopRecord()
      const other = webshopRecord()
      await store.createWebshop(w)
      await store.createWebshop(other)
      const b = batch(w.id, [['e1', 'u1', 'mug', 'view', 1], ['e2', 'u1', 'cup', 'view', 2], ['e3', 'u1', 'pot', 'view', 3]])
      b.items = [
        { externalId: 'mug', attributes: { category: 'kitchen', price: 9.5, sale: true, code: '007' }, seenAt: at(1) },
        { externalId: 'cup', attributes: { category: 'kitchen', price: 3, sale: false }, seenAt: at(2) },
        { externalId: 'pot', attributes: { category: 'garden', price: 9.5 }, seenAt: at(3) },
      ]
      await store.writeBatch(b)
      const ids = ['mug', 'cup', 'pot', 'nope']
      expect([...(await store.itemsMatching(w.id, ids, { category: 'kitchen' }))].sort()).toEqual(['cup', 'mug'])
      expect([...(await store.itemsMatching(w.id, ids, { price: '9.5' }))].sort()).toEqual(['mug', 'pot'])
      expect([...(await store.itemsMatching(w.id, ids, { category: 'kitchen', sale: 'true' }))]).toEqual(['mug'])
      expect([...(await store.itemsMatching(w.id, ids, { code: '007' }))]).toEqual(['mug'])
      expect([...(await store.itemsMatching(w.id, ids, { colour: 'red' }))]).toEqual([])
      expect([...(await store.itemsMatching(other.id, ids, { category: 'kitchen' }))]).toEqual([])
    })

    test('pages through all interactions and ranks popular items', async () => {
      const w = webshopRecord()
      await store.createWebshop(w)
      const rows: [string, string, string, string, number][] = []
      for (let n = 0; n < 23; n++) rows.push([`e${n}`, `u${n % 4}`, n % 3 === 0 ? 'hot' : `i${n}`, 'view', n])
      await store.writeBatch(batch(w.id, rows))
      const seen: string[] = []
      for await (const page of store.interactions(w.id, 5)) {
        expect(page.length).toBeLessThanOrEqual(5)
        for (const e of page) seen.push(`${e.userId}/${e.itemId}`)
      }
      expect(seen.length).toBe(23)
      const popular = await store.popularItems(w.id, new Date(0), 3)
      expect(popular[0]).toEqual({ itemId: 'hot', count: 8 })
      expect(popular.length).toBe(3)
      expect((await store.popularItems(w.id, at(20), 10)).reduce((s, p) => s + p.count, 0)).toBe(3)
    })

    test('saves model versions in order and returns the artifact intact, however large', async () => {
      const w = webshopRecord()
      await store.createWebshop(w)
      expect(await store.latestModel(w.id)).toBeNull()
      // The last one is larger than a MongoDB document may be: the adapter must split it.
      const small = new Uint8Array(1000).map((_, i) => i % 256)
      const pattern = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 251)
      const artifact = new Uint8Array(18 << 20)
      for (let at = 0; at < artifact.length; at += pattern.length) artifact.set(pattern, at)
      artifact[artifact.length - 1] = 42
      const versions: number[] = []
      for (let n = 0; n < MODELS_KEPT + 1; n++) {
        const bytes = n === MODELS_KEPT ? artifact : small
        versions.push(await store.saveModel({ webshopId: w.id, algorithm: 'item_knn', trainedAt: new Date(), params: { n }, metrics: { ndcg: 0.5 }, artifact: bytes }))
      }
      expect(versions).toEqual([1, 2, 3, 4])
      const latest = await store.latestModel(w.id)
      expect(latest?.version).toBe(4)
      expect(latest?.params).toEqual({ n: 3 })
      expect(Buffer.from(latest!.artifact).equals(Buffer.from(artifact))).toBe(true)
      expect(await store.latestModelVersion(w.id)).toBe(4)
    })

    test('tracks training jobs per webshop', async () => {
      const w = webshopRecord()
      await store.createWebshop(w)
      await store.createJob({ id: 'job-1', webshopId: w.id, status: 'queued', createdAt: at(1) })
      await store.updateJob(w.id, 'job-1', { status: 'done', startedAt: at(2), finishedAt: at(3), modelVersion: 7 })
      const job = await store.getJob(w.id, 'job-1')
      expect(job).toMatchObject({ status: 'done', modelVersion: 7 })
      expect(job?.finishedAt?.getTime()).toBe(at(3).getTime())
      expect(await store.getJob(crypto.randomUUID(), 'job-1')).toBeNull()
    })

    test("deletes a webshop with all its data and nobody else's", async () => {
      const doomed = webshopRecord()
      const kept = webshopRecord()
      await store.createWebshop(doomed)
      await store.createWebshop(kept)
      for (const w of [doomed, kept]) {
        await store.writeBatch(batch(w.id, [['e1', 'u1', 'i1', 'view', 1]]))
        await store.saveModel({ webshopId: w.id, algorithm: 'x', trainedAt: new Date(), params: {}, metrics: {}, artifact: new Uint8Array(8) })
        await store.createJob({ id: `job-${w.id}`, webshopId: w.id, status: 'queued', createdAt: new Date() })
      }
      expect(await store.deleteWebshop(doomed.id)).toBe(true)
      expect(await store.findWebshopById(doomed.id)).toBeNull()
      expect(await store.totals(doomed.id)).toEqual({ users: 0, items: 0, events: 0 })
      expect(await store.latestModel(doomed.id)).toBeNull()
      expect(await store.getJob(doomed.id, `job-${doomed.id}`)).toBeNull()
      expect(await store.totals(kept.id)).toEqual({ users: 1, items: 1, events: 1 })
      expect(await store.latestModelVersion(kept.id)).toBe(1)
      expect([...(await store.existingWebshopIds([doomed.id, kept.id]))]).toEqual([kept.id])
      expect(await store.deleteWebshop(doomed.id)).toBe(false)
    })

    test('calls a plain error permanent', () => {
      expect(store.isTransientError(new Error('bad document'))).toBe(false)
    })
  })
}
