// Registration, API keys and passwords, and the webshop lifecycle.
import { conflict, notFound } from './errors'
import { DEFAULT_EVENT_WEIGHTS, type Totals, type UpdateWebshopBody, type WebshopSettings, type WebshopView } from './schemas'
import { DuplicateEmailError, type Store, type WebshopPatch, type WebshopRecord } from './store/store'

const KEY_PREFIX = 'aisle_'

/** A new API key: 256 random bits, URL-safe. Only its SHA-256 hash is stored. */
export function generateApiKey(): string {
  return KEY_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
}

export function hashApiKey(apiKey: string): string {
  return new Bun.CryptoHasher('sha256').update(apiKey).digest('hex')
}

const normaliseEmail = (email: string) => email.trim().toLowerCase()

export function defaultSettings(): WebshopSettings {
  return { eventWeights: { ...DEFAULT_EVENT_WEIGHTS } }
}

export function toView(w: WebshopRecord): WebshopView {
  return {
    id: w.id,
    email: w.email,
    name: w.name,
    apiKeyPrefix: w.apiKeyPrefix,
    settings: w.settings,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  }
}

export async function registerWebshop(
  store: Store,
  input: { email: string; name: string; password: string },
): Promise<{ webshop: WebshopRecord; apiKey: string }> {
  const apiKey = generateApiKey()
  const now = new Date()
  const webshop: WebshopRecord = {
    id: crypto.randomUUID(),
    email: normaliseEmail(input.email),
    name: input.name.trim(),
    passwordHash: await Bun.password.hash(input.password, { algorithm: 'argon2id' }),
    apiKeyHash: hashApiKey(apiKey),
    apiKeyPrefix: apiKey.slice(0, KEY_PREFIX.length + 6),
    settings: defaultSettings(),
    createdAt: now,
    updatedAt: now,
  }
  try {
    await store.createWebshop(webshop)
  } catch (err) {
    if (err instanceof DuplicateEmailError) throw conflict('a webshop with this email is already registered')
    throw err
  }
  return { webshop, apiKey }
}

export async function authenticate(store: Store, apiKey: string): Promise<WebshopRecord | null> {
  if (!apiKey.startsWith(KEY_PREFIX)) return null
  return store.findWebshopByKeyHash(hashApiKey(apiKey))
}

export async function updateWebshop(store: Store, id: string, input: UpdateWebshopBody): Promise<WebshopRecord> {
  const patch: WebshopPatch = {}
  if (input.email !== undefined) patch.email = normaliseEmail(input.email)
  if (input.name !== undefined) patch.name = input.name.trim()
  if (input.password !== undefined) patch.passwordHash = await Bun.password.hash(input.password, { algorithm: 'argon2id' })
  // Built-in weights stay unless overridden; custom types exist only where declared.
  if (input.settings !== undefined) patch.settings = { eventWeights: { ...DEFAULT_EVENT_WEIGHTS, ...input.settings.eventWeights } }
  try {
    const updated = await store.updateWebshop(id, patch, new Date())
    if (!updated) throw notFound('webshop')
    return updated
  } catch (err) {
    if (err instanceof DuplicateEmailError) throw conflict('a webshop with this email is already registered')
    throw err
  }
}

export async function webshopDetails(store: Store, webshop: WebshopRecord): Promise<WebshopView & { totals: Totals }> {
  return { ...toView(webshop), totals: await store.totals(webshop.id) }
}
