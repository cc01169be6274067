/**
 * The codec engine: interprets a MessageSchema for one version.
 *
 * Each (schema, version) is compiled once, lazily, into closures (a reader and a writer per
 * field, decided for that version: present or not, tagged or not, nullable or not, compact or
 * not) and cached, so the hot paths (Produce, Fetch) do no per-field version checks.
 *
 * Decode: a field absent in the version gets its default, so handlers need not branch on version;
 * unknown tagged fields are skipped; trailing bytes after the body are ignored (as Kafka does).
 * Encode: fields absent in the version are skipped; a field left undefined takes its default;
 * tagged fields are written only when they differ from their default (as Kafka does).
 */
import { ProtocolError } from './errors.js'
import { Reader, Writer, ZERO_UUID, chunksLength, concatChunks } from './primitives.js'
import {
  type DefaultValue,
  type Decoded,
  type FieldSpec,
  type Encodable,
  type MessageSchema,
  type PrimitiveType,
  inVersions,
  parseVersions,
} from './schema.js'

type Obj = Record<string, unknown>

interface TypeCodec {
  read(r: Reader): unknown
  write(w: Writer, v: unknown): void
  /** Fewest bytes one value can take: bounds array counts before allocating. */
  bytesMin: number
}

const EMPTY_BYTES = Buffer.alloc(0)
const EMPTY_OBJ: Obj = Object.freeze({})

const PRIMITIVES = new Set<string>(['int8', 'int16', 'int32', 'int64', 'uint16', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid'])

function isPrimitive(type: string): type is PrimitiveType {
  return PRIMITIVES.has(type)
}

function fixed(bytesMin: number, read: (r: Reader) => unknown, write: (w: Writer, v: never) => void): TypeCodec {
  return { read, write: write as (w: Writer, v: unknown) => void, bytesMin }
}

function primitiveCodec(type: PrimitiveType, flexible: boolean, nullable: boolean, where: string): TypeCodec {
  switch (type) {
    case 'int8':
      return fixed(1, (r) => r.int8(), (w, v: number) => w.int8(v))
    case 'int16':
      return fixed(2, (r) => r.int16(), (w, v: number) => w.int16(v))
    case 'uint16':
      return fixed(2, (r) => r.uint16(), (w, v: number) => w.uint16(v))
    case 'int32':
      return fixed(4, (r) => r.int32(), (w, v: number) => w.int32(v))
    case 'int64':
      return fixed(8, (r) => r.int64(), (w, v: number) => w.int64(v))
    case 'float64':
      return fixed(8, (r) => r.float64(), (w, v: number) => w.float64(v))
    case 'bool':
      return fixed(1, (r) => r.bool(), (w, v: boolean) => w.bool(v))
    case 'uuid':
      return fixed(16, (r) => r.uuid(), (w, v: string) => w.uuid(v))
    case 'string':
      if (flexible) {
        return nullable
          ? fixed(1, (r) => r.compactNullableString(), (w, v: string | null) => w.compactNullableString(v))
          : fixed(1, (r) => r.compactString(), (w, v: string) => w.compactString(notNull(v, where)))
      }
      return nullable
        ? fixed(2, (r) => r.nullableString(), (w, v: string | null) => w.nullableString(v))
        : fixed(2, (r) => r.string(), (w, v: string) => w.string(notNull(v, where)))
    case 'bytes':
      if (flexible) {
        return nullable
          ? fixed(1, (r) => r.compactNullableBytes(), (w, v: Buffer | null) => w.compactNullableBytes(v))
          : fixed(1, (r) => r.compactBytes(), (w, v: Buffer) => w.compactBytes(notNull(v, where)))
      }
      return nullable
        ? fixed(4, (r) => r.nullableBytes(), (w, v: Buffer | null) => w.nullableBytes(v))
        : fixed(4, (r) => r.bytes(), (w, v: Buffer) => w.bytes(notNull(v, where)))
    case 'records':
      return recordsCodec(flexible, nullable, where)
  }
}

/**
 * Records are bytes on the wire, decoded as a view and encoded by reference; on encode they may
 * be a list of Buffers (e.g. stored batches for a fetch), written one after the other.
 */
function recordsCodec(flexible: boolean, nullable: boolean, where: string): TypeCodec {
  const read = flexible
    ? nullable
      ? (r: Reader) => r.compactNullableBytes()
      : (r: Reader) => r.compactBytes()
    : nullable
      ? (r: Reader) => r.nullableBytes()
      : (r: Reader) => r.bytes()
  const write = (w: Writer, v: unknown): void => {
    if (v === null) {
      if (!nullable) notNull(null, where)
      if (flexible) w.uvarint(0)
      else w.int32(-1)
      return
    }
    const parts = Array.isArray(v) ? (v as Buffer[]) : [v as Buffer]
    const len = chunksLength(parts)
    if (flexible) w.uvarint(len + 1)
    else w.int32(len)
    for (const p of parts) w.raw(p)
  }
  return { read, write, bytesMin: flexible ? 1 : 4 }
}

function notNull<T>(v: T | null, where: string): T {
  if (v === null || v === undefined) throw new TypeError(`${where} is null but not nullable in this version`)
  return v
}

function arrayCodec(elem: TypeCodec, flexible: boolean, nullable: boolean, where: string): TypeCodec {
  return {
    bytesMin: flexible ? 1 : 4,
    read(r) {
      const n = r.arrayLength(flexible, elem.bytesMin)
      if (n === -1) {
        if (nullable) return null
        throw new ProtocolError('INVALID_VALUE', `null array in non-nullable ${where}`)
      }
      const out = new Array<unknown>(n)
      for (let i = 0; i < n; i++) out[i] = elem.read(r)
      return out
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) notNull(null, where)
        if (flexible) w.uvarint(0)
        else w.int32(-1)
        return
      }
      const arr = v as readonly unknown[]
      if (flexible) w.uvarint(arr.length + 1)
      else w.int32(arr.length)
      for (let i = 0; i < arr.length; i++) elem.write(w, arr[i])
    },
  }
}

// ---- Defaults (version-independent) ------------------------------------------------------------

function scalarDefault(type: PrimitiveType, d: DefaultValue | undefined): unknown {
  if (d === null) return null
  switch (type) {
    case 'bool':
      return d === undefined ? false : d === true || d === 'true'
    case 'string':
      return d === undefined ? '' : String(d)
    case 'uuid':
      return d === undefined ? ZERO_UUID : String(d)
    case 'bytes':
      return EMPTY_BYTES
    case 'records':
      return null
    default:
      return d === undefined ? 0 : Number(d)
  }
}

/** A function returning a fresh default value for a field (fresh, since arrays are mutable). */
export function defaultMaker(field: FieldSpec): () => unknown {
  if (field.type.startsWith('[]')) {
    return field.default === null ? () => null : () => []
  }
  if (isPrimitive(field.type)) {
    const v = scalarDefault(field.type, field.default)
    return () => v
  }
  if (field.default === null) return () => null
  const subs = (field.fields ?? []).map((s) => [s.name, defaultMaker(s)] as const)
  return () => {
    const o: Obj = {}
    for (const [name, make] of subs) o[name] = make()
    return o
  }
}

/** Whether a value equals a field's default (tagged fields are only written when it does not). */
function defaultTester(field: FieldSpec): (v: unknown) => boolean {
  if (field.type.startsWith('[]')) {
    return field.default === null ? (v) => v === null : (v) => Array.isArray(v) && v.length === 0
  }
  if (isPrimitive(field.type)) {
    const d = scalarDefault(field.type, field.default)
    if (field.type === 'bytes') return (v) => v !== null && (v as Buffer).length === 0
    if (field.type === 'records') return (v) => v === null
    return (v) => v === d
  }
  if (field.default === null) return (v) => v === null
  const subs = (field.fields ?? []).map((s) => [s.name, defaultTester(s)] as const)
  return (v) => {
    if (v === null || typeof v !== 'object') return false
    const o = v as Obj
    return subs.every(([name, test]) => o[name] === undefined || test(o[name]))
  }
}

// ---- Structs -----------------------------------------------------------------------------------

interface TaggedEntry {
  tag: number
  name: string
  codec: TypeCodec
  isDefault: (v: unknown) => boolean
}

function fieldCodec(field: FieldSpec, version: number, flexible: boolean, where: string): TypeCodec {
  const nullable = inVersions(field.nullableVersions, version)
  const { type } = field
  if (type.startsWith('[]')) {
    const elemType = type.slice(2)
    const elem = isPrimitive(elemType)
      ? primitiveCodec(elemType, flexible, false, `${where}[]`)
      : structCodec(field.fields ?? [], version, flexible, where)
    return arrayCodec(elem, flexible, nullable, where)
  }
  if (isPrimitive(type)) return primitiveCodec(type, flexible, nullable, where)
  if (nullable) throw new Error(`${where}: nullable struct fields are not supported`)
  return structCodec(field.fields ?? [], version, flexible, where)
}

function structCodec(fields: readonly FieldSpec[], version: number, flexible: boolean, where: string): TypeCodec {
  const n = fields.length
  const names = fields.map((fl) => fl.name)
  const defaults = fields.map(defaultMaker)
  // Per field: its codec when it is a regular (untagged) field of this version, else null.
  const regular: (TypeCodec | null)[] = []
  const tagged: TaggedEntry[] = []
  let bytesMin = flexible ? 1 : 0
  for (const field of fields) {
    const path = `${where}.${field.name}`
    if (!inVersions(field.versions, version)) {
      regular.push(null)
      continue
    }
    const codec = fieldCodec(field, version, flexible, path)
    if (flexible && inVersions(field.taggedVersions, version)) {
      if (field.tag === undefined) throw new Error(`${path}: tagged field without a tag`)
      tagged.push({ tag: field.tag, name: field.name, codec, isDefault: defaultTester(field) })
      regular.push(null)
    } else {
      regular.push(codec)
      bytesMin += codec.bytesMin
    }
  }
  tagged.sort((a, b) => a.tag - b.tag)
  const byTag = new Map(tagged.map((t) => [t.tag, t]))

  const readTagged = (r: Reader, o: Obj): void => {
    if (byTag.size === 0) {
      r.taggedFields()
      return
    }
    r.taggedFields((tag, fr) => {
      const t = byTag.get(tag)
      if (t) o[t.name] = t.codec.read(fr)
    })
  }

  const writeTagged = (w: Writer, o: Obj): void => {
    if (tagged.length === 0) {
      w.uvarint(0)
      return
    }
    const present = tagged.filter((t) => o[t.name] !== undefined && !t.isDefault(o[t.name]))
    w.uvarint(present.length)
    for (const t of present) {
      const sub = new Writer(64)
      t.codec.write(sub, o[t.name])
      const chunks = sub.finish()
      w.uvarint(t.tag).uvarint(chunksLength(chunks)).append(chunks)
    }
  }

  return {
    bytesMin,
    read(r) {
      const o: Obj = {}
      for (let i = 0; i < n; i++) {
        const c = regular[i]!
        o[names[i]!] = c !== null ? c.read(r) : defaults[i]!()
      }
      if (flexible) readTagged(r, o)
      return o
    },
    write(w, v) {
      const o = (v ?? EMPTY_OBJ) as Obj
      for (let i = 0; i < n; i++) {
        const c = regular[i]!
        if (c === null) continue
        const x = o[names[i]!]
        c.write(w, x === undefined ? defaults[i]!() : x)
      }
      if (flexible) writeTagged(w, o)
    },
  }
}

// ---- Messages ----------------------------------------------------------------------------------

const compiledBySchema = new WeakMap<MessageSchema, TypeCodec[]>()

function compiled(schema: MessageSchema, version: number): TypeCodec {
  let byVersion = compiledBySchema.get(schema)
  if (byVersion === undefined) {
    byVersion = []
    compiledBySchema.set(schema, byVersion)
  }
  let codec = byVersion[version]
  if (codec === undefined) {
    if (!Number.isInteger(version) || !inVersions(schema.validVersions, version)) {
      throw new ProtocolError('UNSUPPORTED_VERSION', `${schema.name} v${version} is not supported (${schema.validVersions})`)
    }
    const flexible = inVersions(schema.flexibleVersions, version)
    codec = structCodec(schema.fields, version, flexible, `${schema.name}v${version}`)
    byVersion[version] = codec
  }
  return codec
}

export function isFlexibleVersion(schema: MessageSchema, version: number): boolean {
  return inVersions(schema.flexibleVersions, version)
}

export function supportsVersion(schema: MessageSchema, version: number): boolean {
  return inVersions(schema.validVersions, version)
}

/** Decodes a message body at the reader's cursor, leaving the cursor after it. */
export function decodeMessage<M extends MessageSchema>(schema: M, version: number, r: Reader): Decoded<M> {
  return compiled(schema, version).read(r) as Decoded<M>
}

/** Encodes a message body into the writer. */
export function encodeMessage<M extends MessageSchema>(schema: M, version: number, body: Encodable<M>, w: Writer): void {
  compiled(schema, version).write(w, body)
}

/** Decodes a whole buffer as one body (tests and tools; frames use decodeMessage). */
export function decode<M extends MessageSchema>(schema: M, version: number, buf: Buffer): Decoded<M> {
  return decodeMessage(schema, version, new Reader(buf))
}

/** Encodes one body to a single Buffer (tests and tools; frames stay as chunks). */
export function encode<M extends MessageSchema>(schema: M, version: number, body: Encodable<M>): Buffer {
  const w = new Writer()
  encodeMessage(schema, version, body, w)
  return concatChunks(w.finish())
}

/** The versions a schema supports, as [min, max]. */
export function versionRange(schema: MessageSchema): [number, number] {
  return parseVersions(schema.validVersions)
}
