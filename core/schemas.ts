// The one source of truth for every shape that crosses a boundary: HTTP bodies and responses,
// bus messages and configuration. Elysia's `t` is TypeBox 0.34, the same one `@sinclair/typebox`
// exports, so these schemas validate routes and worker input alike.
import { Type } from '@sinclair/typebox'
import { t, type Static } from 'elysia'

/**
 * An integer in a response. Elysia's `t.Integer` is a transform (it also takes numeric strings,
 * for queries and params), and a response schema holding a transform makes Elysia run TypeBox's
 * Encode on every answer: 3% of the ingest path's CPU. TypeBox's own integer has none.
 */
const ResponseInteger = () => Type.Integer()

export const BUILTIN_EVENT_TYPES = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase'] as const

/** Default implicit-feedback weight of each built-in type; a negative weight undoes interest. */
export const DEFAULT_EVENT_WEIGHTS: Record<string, number> = {
  view: 1,
  click: 2,
  add_to_cart: 4,
  remove_from_cart: -2,
  purchase: 8,
}

export const Id = t.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[^\\x00-\\x1f]+$',
  description: 'Your own identifier (1–128 printable characters)',
})

// Keys that start with `$` or contain `.` would be operators or paths in MongoDB.
const ATTRIBUTE_KEY = '^[^$.\\x00][^.\\x00]{0,63}$'
const AttributeScalar = t.Union([t.String({ maxLength: 2048 }), t.Number(), t.Boolean()])
export const Attributes = t.Record(
  t.String({ pattern: ATTRIBUTE_KEY }),
  t.Union([AttributeScalar, t.Array(t.Union([t.String({ maxLength: 256 }), t.Number()]), { maxItems: 100 })]),
  {
    maxProperties: 64,
    additionalProperties: false,
    description: 'Flat attributes: keys must not start with `$` or contain `.`; values are strings, numbers, booleans or arrays of strings and numbers',
  },
)
export type Attributes = Static<typeof Attributes>

const CUSTOM_NAME = 'custom:[a-z0-9_]{1,32}'
export const EventType = t.Union(
  [
    // Spelled out: a mapped `t.Literal(type)` would be one TLiteral of a union, which Elysia's
    // route types (and so Eden's) turn into `never`.
    t.Literal('view'),
    t.Literal('click'),
    t.Literal('add_to_cart'),
    t.Literal('remove_from_cart'),
    t.Literal('purchase'),
    t.Unsafe<`custom:${string}`>(t.String({ pattern: `^${CUSTOM_NAME}$` })),
  ],
  { description: 'A built-in type, or `custom:<name>` declared in the webshop settings' },
)
export type EventType = Static<typeof EventType>

export const Entity = t.Object(
  { id: Id, attributes: t.Optional(Attributes) },
  { additionalProperties: false },
)

/**
 * RFC 3339: a date, `T`, a time (seconds optional), and `Z` or an offset. Elysia's `date-time`
 * format alone also passes what `new Date` reads, `01/02/2026` among it, month or day first.
 * Impossible days (`2026-02-30`) are refused in acceptEvents.
 */
export const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?([Zz]|[+-]\\d{2}:\\d{2})$'

export const EventInput = t.Object(
  {
    eventId: t.Optional(t.String({ minLength: 1, maxLength: 128, description: 'Idempotency key; filled in when absent' })),
    type: EventType,
    timestamp: t.Optional(
      t.String({
        format: 'date-time',
        pattern: TIMESTAMP_PATTERN,
        description: 'When it happened, as RFC 3339 (e.g. `2026-12-01T10:00:00Z` or `…+01:00`); now when absent; at most 24 hours ahead of the server clock',
      }),
    ),
    user: Entity,
    item: Entity,
  },
  { additionalProperties: false },
)
export type EventInput = Static<typeof EventInput>

export const MAX_EVENTS_PER_REQUEST = 1000
export const EventsBody = t.Union([EventInput, t.Array(EventInput, { minItems: 1, maxItems: MAX_EVENTS_PER_REQUEST })])

/** An event as the server accepted it: id and time are always set. This is what travels on the bus. */
export const AcceptedEvent = t.Object({
  eventId: t.String({ minLength: 1, maxLength: 128 }),
  type: t.String({ minLength: 1, maxLength: 64 }),
  timestamp: t.String({ format: 'date-time' }),
  user: Entity,
  item: Entity,
})
export type AcceptedEvent = Static<typeof AcceptedEvent>

export const EventBatchMessage = t.Object({
  webshopId: t.String({ minLength: 1 }),
  receivedAt: t.String({ format: 'date-time' }),
  events: t.Array(AcceptedEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_REQUEST }),
})
export type EventBatchMessage = Static<typeof EventBatchMessage>

export const TrainJobMessage = t.Object({ jobId: t.String(), webshopId: t.String() })
export type TrainJobMessage = Static<typeof TrainJobMessage>

export const EventWeights = t.Record(t.String({ pattern: `^(${[...BUILTIN_EVENT_TYPES, CUSTOM_NAME].join('|')})$` }), t.Number({ minimum: -100, maximum: 100 }), {
  maxProperties: 64,
  additionalProperties: false,
  description: 'Weight per event type; built-in types keep their defaults unless overridden, custom types must be declared here',
})

export const WebshopSettings = t.Object({ eventWeights: EventWeights }, { additionalProperties: false })
export type WebshopSettings = Static<typeof WebshopSettings>

const Email = t.String({ format: 'email', maxLength: 254 })
const Password = t.String({ minLength: 8, maxLength: 256 })
const Name = t.String({ minLength: 1, maxLength: 200 })

export const RegisterBody = t.Object({ email: Email, name: Name, password: Password }, { additionalProperties: false })
export const UpdateWebshopBody = t.Object(
  {
    email: t.Optional(Email),
    name: t.Optional(Name),
    password: t.Optional(Password),
    settings: t.Optional(WebshopSettings),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateWebshopBody = Static<typeof UpdateWebshopBody>

export const Webshop = t.Object({
  id: t.String(),
  email: t.String(),
  name: t.String(),
  apiKeyPrefix: t.String({ description: 'The first characters of the key, to tell keys apart' }),
  settings: WebshopSettings,
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
})
export type WebshopView = Static<typeof Webshop>

export const RegisterResponse = t.Object({
  webshop: Webshop,
  apiKey: t.String({ description: 'Shown once; Aisle keeps only its SHA-256 hash' }),
})

export const Totals = t.Object({ users: ResponseInteger(), items: ResponseInteger(), events: ResponseInteger() })
export type Totals = Static<typeof Totals>
export const WebshopDetails = t.Composite([Webshop, t.Object({ totals: Totals })])

export const AcceptedResponse = t.Object({ accepted: ResponseInteger() })

export const JobStatus = t.Union([t.Literal('queued'), t.Literal('running'), t.Literal('done'), t.Literal('failed')])
export type JobStatus = Static<typeof JobStatus>
export const TrainJob = t.Object({
  jobId: t.String(),
  status: JobStatus,
  createdAt: t.String({ format: 'date-time' }),
  startedAt: t.Optional(t.String({ format: 'date-time' })),
  finishedAt: t.Optional(t.String({ format: 'date-time' })),
  modelVersion: t.Optional(ResponseInteger()),
  error: t.Optional(t.String()),
  progress: t.Optional(t.String({ description: 'What a running job is doing now' })),
})
export type TrainJobView = Static<typeof TrainJob>
export const TrainAccepted = t.Object({ jobId: t.String(), status: JobStatus })

/** One `filter` value; exported so an error about it can name the parameter (server/errors.ts). */
export const FilterPart = t.String({
  pattern: '^[^$.:"\\\\\\x00][^.:"\\\\\\x00]{0,63}:.{1,256}$',
  description: '`attribute:value`; repeat for several (all must match), e.g. `filter=category:mugs&filter=sale:true`',
})
const Filter = t.Optional(t.Union([FilterPart, t.Array(FilterPart, { maxItems: 10 })]))
const Limit = t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 10 }))

export const RecommendQuery = t.Object({
  limit: Limit,
  includeSeen: t.Optional(t.Boolean({ default: false })),
  filter: Filter,
})
export const SimilarQuery = t.Object({ limit: Limit, filter: Filter })
export const PopularQuery = t.Object({
  limit: Limit,
  days: t.Optional(t.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'Count events of the last this many days' })),
  filter: Filter,
})

/** `["category:mugs", "sale:true"]` → `{category: "mugs", sale: "true"}`. */
export function parseFilter(filter: string | string[] | undefined): Record<string, string> | undefined {
  if (filter === undefined) return undefined
  const out: Record<string, string> = {}
  for (const part of Array.isArray(filter) ? filter : [filter]) {
    const colon = part.indexOf(':')
    out[part.slice(0, colon)] = part.slice(colon + 1)
  }
  return out
}
export const ScoredItem = t.Object({ itemId: t.String(), score: t.Number() })
const Ranked = t.Object({
  items: t.Array(ScoredItem),
  algorithm: t.String({ description: 'The model that ranked these, or `popular` as the fallback' }),
  modelVersion: t.Union([ResponseInteger(), t.Null()]),
})
export const Recommendation = t.Composite([t.Object({ userId: t.String() }), Ranked])

export const StoredEvent = t.Object({
  eventId: t.String(),
  type: t.String(),
  userId: t.String(),
  itemId: t.String(),
  timestamp: t.String({ format: 'date-time' }),
  receivedAt: t.String({ format: 'date-time' }),
})
export const UserEventsQuery = t.Object({ limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 100 })) })
export const UserEvents = t.Object({ userId: t.String(), events: t.Array(StoredEvent) })

export const UserIdParams = t.Object({ user_id: Id })
export const ItemIdParams = t.Object({ item_id: Id })
export const SimilarItems = t.Composite([t.Object({ itemId: t.String() }), Ranked])
export const PopularItems = t.Object({ items: t.Array(ScoredItem), days: ResponseInteger() })
export const ModelInfo = t.Object({
  version: ResponseInteger(),
  algorithm: t.String(),
  trainedAt: t.String({ format: 'date-time' }),
  params: t.Record(t.String(), t.Unknown()),
  metrics: t.Record(t.String(), t.Unknown(), { description: 'Data sizes, training time, and every candidate algorithm with its holdout NDCG@10' }),
})
export const JobIdParams = t.Object({ job_id: t.String({ minLength: 1, maxLength: 64 }) })

export const ErrorBody = t.Object(
  {
    error: t.Object({
      code: t.String({ description: 'Stable machine-readable code, e.g. `validation_failed`' }),
      message: t.String(),
      details: t.Optional(t.Unknown()),
    }),
  },
  { description: 'Every error has this shape' },
)
export type ErrorBody = Static<typeof ErrorBody>
