// A compact model file: a JSON header and typed arrays, 8-byte aligned, in one buffer. Typed
// arrays load back as views on that buffer, with no per-element parsing.
type Typed = Float32Array | Float64Array | Int32Array | Uint32Array
const KINDS = { Float32Array, Float64Array, Int32Array, Uint32Array } as const
type Kind = keyof typeof KINDS

const MAGIC = 0x4c534941 // "AISL"

export interface Decoded<H> {
  header: H
  arrays: Record<string, Typed>
}

export function encodeModel(header: unknown, arrays: Record<string, Typed>): Uint8Array {
  let offset = 0
  const layout = Object.entries(arrays).map(([name, array]) => {
    const entry = { name, kind: array.constructor.name as Kind, offset, length: array.length }
    offset += align8(array.byteLength)
    return entry
  })
  const headerBytes = new TextEncoder().encode(JSON.stringify({ header, layout }))
  const dataStart = align8(8 + headerBytes.byteLength)
  const out = new Uint8Array(dataStart + offset)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint32(4, headerBytes.byteLength, true)
  out.set(headerBytes, 8)
  for (const entry of layout) {
    const array = arrays[entry.name]!
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), dataStart + entry.offset)
  }
  return out
}

export function decodeModel<H>(bytes: Uint8Array): Decoded<H> {
  // Copy once so the arrays are aligned views on a buffer of their own.
  const buf = bytes.slice().buffer
  const view = new DataView(buf)
  if (view.getUint32(0, true) !== MAGIC) throw new Error('not an Aisle model')
  const headerLength = view.getUint32(4, true)
  const { header, layout } = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, headerLength))) as {
    header: H
    layout: { name: string; kind: Kind; offset: number; length: number }[]
  }
  const dataStart = align8(8 + headerLength)
  const arrays: Record<string, Typed> = {}
  for (const { name, kind, offset, length } of layout) arrays[name] = new KINDS[kind](buf, dataStart + offset, length)
  return { header, arrays }
}

const align8 = (n: number) => (n + 7) & ~7

/** Another model file carried inside this one, as one of its arrays (model files are 8-byte multiples). */
export const nested = (bytes: Uint8Array): Uint32Array => new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
/** The model file that `nested` packed. */
export const unnested = (array: Typed | undefined): Uint8Array => new Uint8Array(array!.buffer, array!.byteOffset, array!.byteLength)
