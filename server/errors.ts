// One mapping from everything that can go wrong to `{error: {code, message, details?}}`.
import { Value } from '@sinclair/typebox/value'
import { Elysia, type TSchema, type ValidationError } from 'elysia'
import { AppError, UnavailableError } from '../core/errors'
import type { ErrorBody } from '../core/schemas'
import type { AppDeps } from './deps'

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: details === undefined ? { code, message } : { code, message, details },
})

export const errors = ({ store, log, config }: Pick<AppDeps, 'store' | 'log' | 'config'>) =>
  new Elysia({ name: 'errors' })
    // Refuse an oversized body before anything reads it.
    .onRequest(({ request, set }) => {
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > config.MAX_BODY_BYTES) {
        set.status = 413
        return errorBody('payload_too_large', `request body exceeds ${config.MAX_BODY_BYTES} bytes`)
      }
    })
    .onError({ as: 'global' }, ({ code, error, set }) => {
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
          return errorBody('validation_failed', `invalid ${error.type}`, explain(error))
        case 'PARSE':
          set.status = 400
          return errorBody('invalid_body', 'the request body is not valid JSON')
        case 'NOT_FOUND':
          set.status = 404
          return errorBody('not_found', 'no such route')
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
 * Where and why the input failed, at most 20 entries. A union at the root (one event or an array
 * of them) is explained against the variant of the value's own shape, not as "matches none".
 */
function explain(error: Readonly<ValidationError>): { path: string; message: string }[] {
  const validator = error.validator as { schema?: TSchema } & TSchema
  const schema: TSchema = validator.schema ?? validator
  const shape = Array.isArray(error.value) ? 'array' : typeof error.value === 'object' && error.value !== null ? 'object' : null
  const variant = Array.isArray(schema.anyOf) ? (schema.anyOf as TSchema[]).find((v) => v.type === shape) : undefined
  if (variant) return [...Value.Errors(variant, error.value)].slice(0, 20).map((e) => ({ path: e.path, message: e.message }))
  return error.all.slice(0, 20).map((e) => ({ path: 'path' in e ? e.path : '', message: e.summary ?? ('message' in e ? e.message : 'invalid') }))
}
