import { expect, test } from 'bun:test'
import { AllowedMethods } from '../../server/methods'

const allowed = new AllowedMethods()
allowed.load([
  { method: 'GET', path: '/webshops/' },
  { method: 'PUT', path: '/webshops/' },
  { method: 'POST', path: '/events/' },
  { method: 'GET', path: '/items/:item_id/similar' },
  { method: 'GET', path: '/swagger' },
  { method: 'get', path: '/docs/*' },
])

test('the methods of a path, with or without its trailing slash, and through parameters', () => {
  expect(allowed.of('/webshops')).toEqual(['GET', 'PUT'])
  expect(allowed.of('/webshops/')).toEqual(['GET', 'PUT'])
  expect(allowed.of('/events/')).toEqual(['POST'])
  expect(allowed.of('/items/a%20b/similar/')).toEqual(['GET'])
  expect(allowed.of('/docs/a/b')).toEqual(['GET'])
})

test('no methods for a path no route has: a parameter is one segment, and static parts match exactly', () => {
  expect(allowed.of('/items/a/b/similar')).toEqual([])
  expect(allowed.of('/items//similar')).toEqual([])
  expect(allowed.of('/swaggerX')).toEqual([])
  expect(allowed.of('/webshops/x')).toEqual([])
  expect(allowed.of('/')).toEqual([])
})
