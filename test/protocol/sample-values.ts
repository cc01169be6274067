/**
 * Builds sample message bodies from a schema, for round-trip tests of every API and version:
 * - 'full': every field populated with a distinct, non-default value (records >= 256 bytes, so
 *   they take the by-reference path; non-ASCII strings);
 * - 'nulls': every field that is nullable in that version set to null;
 * - 'empty': arrays empty, strings '', bytes empty.
 * And the body a decoder must return for it: fields absent in the version take their default.
 */
import { defaultMaker } from '../../src/protocol/codec.js'
import { type FieldSpec, type MessageSchema, inVersions } from '../../src/protocol/schema.js'

export type Variant = 'full' | 'nulls' | 'empty'
type Obj = Record<string, unknown>

let counter = 0

function primitiveSample(type: string, variant: Variant, field: FieldSpec): unknown {
  const n = ++counter
  switch (type) {
    case 'int8':
      return (n % 100) + 1
    case 'int16':
      // Wraps below 32767: the counter runs on across every API and version of the registry.
      return 1000 + (n % 30000)
    case 'uint16':
      return 60000 + (n % 1000)
    case 'int32':
      return 100000 + n
    case 'int64':
      return 2 ** 40 + n
    case 'float64':
      return n + 0.25
    case 'bool':
      return field.default !== true
    case 'string':
      return variant === 'empty' ? '' : `s${n}-\u00fc\u4e2d`
    case 'uuid':
      return n.toString(16).padStart(32, 'a')
    case 'bytes':
      return variant === 'empty' ? Buffer.alloc(0) : Buffer.from([n & 0xff, 1, 2, 3])
    case 'records':
      return variant === 'empty' ? Buffer.alloc(0) : Buffer.alloc(300, n & 0xff)
  }
  throw new Error(`no sample for ${type}`)
}

function fieldSample(field: FieldSpec, version: number, variant: Variant): unknown {
  if (variant === 'nulls' && inVersions(field.nullableVersions, version)) return null
  const { type } = field
  if (type.startsWith('[]')) {
    if (variant === 'empty') return []
    const elem = type.slice(2)
    const one = (): unknown =>
      field.fields ? structSample(field.fields, version, variant) : primitiveSample(elem, variant, field)
    return [one(), one()]
  }
  if (field.fields) return structSample(field.fields, version, variant)
  return primitiveSample(type, variant, field)
}

/** A body with every field of every version set (absent ones must be ignored on encode). */
export function structSample(fields: readonly FieldSpec[], version: number, variant: Variant): Obj {
  const o: Obj = {}
  for (const field of fields) o[field.name] = fieldSample(field, version, variant)
  return o
}

/** What decoding the encoded sample must give: sample values where present, defaults elsewhere. */
export function expectedDecode(fields: readonly FieldSpec[], version: number, input: Obj): Obj {
  const o: Obj = {}
  for (const field of fields) {
    const v = input[field.name]
    if (!inVersions(field.versions, version)) {
      o[field.name] = defaultMaker(field)()
    } else if (field.fields && Array.isArray(v)) {
      o[field.name] = v.map((e) => expectedDecode(field.fields!, version, e as Obj))
    } else if (field.fields && v !== null && typeof v === 'object') {
      o[field.name] = expectedDecode(field.fields, version, v as Obj)
    } else {
      o[field.name] = v
    }
  }
  return o
}

export function versionsOf(schema: MessageSchema): number[] {
  const [min, max] = schema.validVersions.split('-').map(Number) as [number, number | undefined]
  const out: number[] = []
  for (let v = min; v <= (max ?? min); v++) out.push(v)
  return out
}
