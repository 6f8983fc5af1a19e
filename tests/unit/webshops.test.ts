import { expect, test } from 'bun:test'
import { generateApiKey, hashApiKey } from '../../core/webshops'

test('API keys carry 256 random bits and are stored as SHA-256 hex', () => {
  const a = generateApiKey()
  const b = generateApiKey()
  expect(a).not.toBe(b)
  expect(a).toMatch(/^aisle_[A-Za-z0-9_-]{43}$/)
  expect(Buffer.from(a.slice(6), 'base64url')).toHaveLength(32)
  expect(hashApiKey(a)).toMatch(/^[0-9a-f]{64}$/)
  expect(hashApiKey(a)).toBe(new Bun.CryptoHasher('sha256').update(a).digest('hex'))
  expect(hashApiKey(a)).not.toBe(hashApiKey(b))
})
