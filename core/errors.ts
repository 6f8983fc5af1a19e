// Errors that carry their HTTP meaning, so services stay free of HTTP and the server maps them
// to `{error: {code, message, details?}}` in one place.
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`)
export const conflict = (message: string) => new AppError(409, 'conflict', message)
export const unprocessable = (message: string, details?: unknown) => new AppError(422, 'validation_failed', message, details)

/** A dependency (broker, database) cannot take the request now; the client should retry. */
export class UnavailableError extends AppError {
  constructor(message: string, readonly retryAfterSeconds = 2) {
    super(503, 'unavailable', message)
    this.name = 'UnavailableError'
  }
}
