// One mapping from everything that can go wrong to `{error: {code, message, details?}}`.
import { Value } from '@sinclair/typebox/value'
import { Elysia, type TSchema, type ValidationError } from 'elysia'
import { AppError, UnavailableError } from '../core/errors'
import { FilterPart, type ErrorBody } from '../core/schemas'
import type { AppDeps } from './deps'
import type { AllowedMethods } from './methods'

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: details === undefined ? { code, message } : { code, message, details },
})

export const errors = ({ store, log, config }: Pick<AppDeps, 'store' | 'log' | 'config'>, allowed: AllowedMethods) =>
  new Elysia({ name: 'errors' })
    // Refuse an oversized body before anything reads it.
    .onRequest(({ request, set }) => {
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > config.MAX_BODY_BYTES) {
        set.status = 413
        return errorBody('payload_too_large', `request body exceeds ${config.MAX_BODY_BYTES} bytes`)
      }
    })
    .onError({ as: 'global' }, ({ code, error, set, request }) => {
      if (error instanceof UnavailableError || store.isTransientError(error)) {
        set.status = 503
        set.headers['retry-after'] = String(error instanceof UnavailableError ? error.retryAfterSeconds : 2)
        return errorBody('unavailable', error instanceof UnavailableError ? error.message : 'the database is unavailable, retry later')
      }
      if (error instanceof AppError) {
        set.status = error.status
        return errorBody(error.code, error.message, error.details)
      }
      switch (code) {
        case 'VALIDATION':
          set.status = 422
          // Not always a ValidationError: a value Elysia decodes (a repeated query parameter such as
          // `filter`) fails as TypeBox's TransformDecodeCheckError, which names no request part.
          return errorBody('validation_failed', `invalid ${isValidationError(error) ? error.type : 'request'}`, explain(error))
        case 'PARSE':
          set.status = 400
          return errorBody('invalid_body', 'the request body is not valid JSON')
        case 'NOT_FOUND': {
          const methods = allowed.of(new URL(request.url).pathname)
          if (methods.length > 0 && !methods.includes(request.method)) {
            set.status = 405
            set.headers.allow = methods.join(', ')
            return errorBody('method_not_allowed', `${request.method} is not served here; this path takes ${methods.join(', ')}`)
          }
          set.status = 404
          return errorBody('not_found', 'no such route')
        }
        case 'INVALID_COOKIE_SIGNATURE':
        case 'INVALID_FILE_TYPE':
          set.status = 400
          return errorBody('bad_request', error.message)
      }
      if ((error as { code?: unknown }).code === 'ERR_BODY_TOO_LARGE' || /body.*too large|exceed/i.test(String((error as Error)?.message))) {
        set.status = 413
        return errorBody('payload_too_large', `request body exceeds ${config.MAX_BODY_BYTES} bytes`)
      }
      log.error('unhandled error', { err: error, code })
      set.status = 500
      return errorBody('internal', 'internal error')
    })

/**
 * Where and why the input failed, at most 20 entries. A union (one event or an array of them; one
 * filter or several) is explained against the variant of the value's own shape, not as "matches
 * none". Never throws: this runs inside the error handler, where a throw would be a 500.
 */
function explain(error: unknown): { path: string; message: string }[] {
  try {
    if (isValidationError(error)) {
      const validator = error.validator as { schema?: TSchema } & TSchema
      const root = againstVariant(validator.schema ?? validator, error.value, '')
      if (root) return root.slice(0, 20)
      return error.all
        .flatMap((e) => {
          const path = 'path' in e ? e.path : ''
          const message = e.summary ?? ('message' in e ? e.message : 'invalid')
          if (!('schema' in e)) return [{ path, message }]
          return againstVariant(e.schema, e.value, path) ?? [{ path, message: messageFor(e.schema, message) }]
        })
        .slice(0, 20)
    }
    // TypeBox's TransformDecodeCheckError carries the first failing value, its path relative to
    // the decoded parameter, which it does not name. The only parameter Elysia decodes is a
    // repeatable query value, `filter`: recognised by its values' pattern.
    const { error: first, schema } = error as { error?: { path?: unknown; message?: unknown }; schema?: { items?: TSchema } }
    const parameter = schema?.items?.pattern === FilterPart.pattern ? '/filter' : ''
    if (typeof first?.message === 'string') return [{ path: parameter + (typeof first.path === 'string' ? first.path : ''), message: first.message }]
  } catch {
    // The details are a courtesy; the 422 stands without them.
  }
  return []
}

/** Elysia's own validation error (by shape: a second copy of Elysia would fail `instanceof`). */
const isValidationError = (error: unknown): error is ValidationError =>
  typeof error === 'object' && error !== null && 'validator' in error && 'all' in error && 'type' in error

/**
 * The errors of `value` against the variant of union `schema` that has the value's shape, if any;
 * nested unions too (Elysia turns an array in a query into one: a string or an array).
 */
function againstVariant(schema: TSchema, value: unknown, base: string): { path: string; message: string }[] | null {
  if (!Array.isArray(schema.anyOf)) return null
  const shape = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value
  for (const variant of schema.anyOf as TSchema[]) {
    const nested = againstVariant(variant, value, base)
    if (nested) return nested
    if (variant.type !== shape) continue
    const errors = [...Value.Errors(variant, value)].map((e) => ({ path: base + e.path, message: messageFor(e.schema, e.message) }))
    return errors.length > 0 ? errors : null
  }
  return null
}

/** TypeBox's message for a failed schema, except a union's, which says what it accepts. */
const messageFor = (schema: TSchema, message: string) => (Array.isArray(schema.anyOf) ? expected(schema) : message)

/** What a union accepts, for a person: `Expected "view", "click" or a string matching ^custom:…$`, not "Expected union value". */
function expected(union: TSchema): string {
  const describe = (v: TSchema): string[] => {
    if (Array.isArray(v.anyOf)) return (v.anyOf as TSchema[]).flatMap(describe)
    if ('const' in v) return [JSON.stringify(v.const)]
    if (v.type === 'string' && typeof v.pattern === 'string') return [`a string matching ${v.pattern}`]
    const type = typeof v.type === 'string' ? v.type : 'value'
    return [`${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`]
  }
  const each = [...new Set(describe(union))]
  return `Expected ${each.length > 1 ? `${each.slice(0, -1).join(', ')} or ${each.at(-1)}` : each[0]}`
}
