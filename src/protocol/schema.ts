/**
 * The schema DSL: Kafka's JSON message schemas, transcribed as TypeScript values.
 *
 * A field is `f(name, type, versions, options?)`, mirroring the JSON:
 *   f('partitionIndex', 'int32', '0+')
 *   f('rack', 'string', '1+', { nullableVersions: '1+', default: null })
 *   f('topics', '[]MetadataResponseTopic', '0+', { fields: [ ... ] })
 *   f('clusterId', 'string', '12+', { nullableVersions: '12+', taggedVersions: '12+', tag: 0 })
 * Names are Kafka's, camelCased (`PartitionIndex` -> `partitionIndex`); types are Kafka's type
 * names (`int32`, `[]int32`, `records`, `[]StructName` / `StructName` with `fields`); version
 * ranges are Kafka's syntax (`3+`, `0-4`, `5`, `none`).
 *
 * The decoded TypeScript types are computed from the schema values themselves (`Decoded<typeof
 * X>`), so there is no second list of fields to keep in sync. The codec (codec.ts) interprets
 * the same values at run time.
 */

export type NumberType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'float64'
export type PrimitiveType = NumberType | 'bool' | 'string' | 'bytes' | 'records' | 'uuid'

export type DefaultValue = number | string | boolean | null

export interface FieldOptions {
  readonly nullableVersions?: string
  readonly taggedVersions?: string
  readonly tag?: number
  /** Kafka's `default`; otherwise 0, '', false, [], empty bytes, the zero UUID, or null for records. */
  readonly default?: DefaultValue
  /** The fields of a struct or of each element of a struct array. */
  readonly fields?: readonly FieldSpec[]
}

export interface FieldSpec extends FieldOptions {
  readonly name: string
  /** A PrimitiveType, `[]` + PrimitiveType, or a struct name (`Foo` or `[]Foo`) with `fields`. */
  readonly type: string
  readonly versions: string
}

export function f<
  const N extends string,
  const T extends string,
  const O extends FieldOptions = Record<never, never>,
>(name: N, type: T, versions: string, options?: O): { readonly name: N; readonly type: T; readonly versions: string } & O {
  return { name, type, versions, ...(options as O) }
}

export type MessageKind = 'request' | 'response'

export interface MessageSchema<S extends readonly FieldSpec[] = readonly FieldSpec[], K extends MessageKind = MessageKind> {
  /** Kafka's message name, e.g. `MetadataRequest`. */
  readonly name: string
  readonly apiKey: number
  readonly kind: K
  /** The versions this codec supports (a subset of Kafka's validVersions). */
  readonly validVersions: string
  readonly flexibleVersions: string
  readonly fields: S
}

/** A message's kind, read from its name as Kafka names them (`FooRequest`, `FooResponse`). */
type KindOf<N extends string> = N extends `${string}Request` ? 'request' : N extends `${string}Response` ? 'response' : never

export function message<const N extends string, const S extends readonly FieldSpec[]>(
  name: N,
  apiKey: number,
  validVersions: string,
  flexibleVersions: string,
  fields: S,
): MessageSchema<S, KindOf<N>> {
  const kind = name.endsWith('Request') ? 'request' : name.endsWith('Response') ? 'response' : null
  if (kind === null) throw new Error(`message name ${name} must end in Request or Response`)
  return { name, apiKey, kind: kind as KindOf<N>, validVersions, flexibleVersions, fields }
}

export interface ApiSchema<Req extends MessageSchema = MessageSchema, Res extends MessageSchema = MessageSchema> {
  readonly apiKey: number
  /** Kafka's API name, e.g. `Metadata`. */
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /** First flexible version, or null when no supported version is flexible. */
  readonly firstFlexibleVersion: number | null
  readonly request: Req
  readonly response: Res
}

export function api<Req extends MessageSchema, Res extends MessageSchema>(request: Req, response: Res): ApiSchema<Req, Res> {
  const name = request.name.slice(0, -'Request'.length)
  if (request.kind !== 'request' || response.kind !== 'response' || response.name !== `${name}Response`) {
    throw new Error(`api(${request.name}, ${response.name}): mismatched pair`)
  }
  if (request.apiKey !== response.apiKey || request.validVersions !== response.validVersions) {
    throw new Error(`api ${name}: request and response disagree on apiKey or versions`)
  }
  if (request.flexibleVersions !== response.flexibleVersions) {
    throw new Error(`api ${name}: request and response disagree on flexibleVersions`)
  }
  const [minVersion, maxVersion] = parseVersions(request.validVersions)
  const [flexMin] = parseVersions(request.flexibleVersions)
  return {
    apiKey: request.apiKey,
    name,
    minVersion,
    maxVersion,
    firstFlexibleVersion: flexMin <= maxVersion ? Math.max(flexMin, minVersion) : null,
    request,
    response,
  }
}

/** Highest version number `N+` stands for. */
export const VERSION_MAX = 0x7fff

/** Kafka's version range syntax as [min, max]; `none` is an empty range (min > max). */
export function parseVersions(range: string): [number, number] {
  if (range === 'none') return [1, 0]
  const plus = /^(\d+)\+$/.exec(range)
  if (plus) return [Number(plus[1]), VERSION_MAX]
  const span = /^(\d+)-(\d+)$/.exec(range)
  if (span) return [Number(span[1]), Number(span[2])]
  if (/^\d+$/.test(range)) return [Number(range), Number(range)]
  throw new Error(`bad version range '${range}'`)
}

export function inVersions(range: string | undefined, version: number): boolean {
  if (range === undefined) return false
  const [min, max] = parseVersions(range)
  return version >= min && version <= max
}

// ---- Types computed from schema values -------------------------------------------------------

type PrimitiveValue<T> = T extends 'bool'
  ? boolean
  : T extends 'string' | 'uuid'
    ? string
    : T extends 'bytes'
      ? Buffer
      : T extends 'records'
        ? Buffer | null
        : number

type PrimitiveInput<T> = T extends 'records' ? Buffer | readonly Buffer[] | null : PrimitiveValue<T>

type SubFields<F> = F extends { readonly fields: infer S extends readonly FieldSpec[] } ? S : readonly []
type NullIf<F> = F extends { readonly nullableVersions: string } ? null : never

export type FieldValue<F extends FieldSpec> =
  | (F['type'] extends `[]${infer E}`
      ? E extends PrimitiveType
        ? PrimitiveValue<E>[]
        : StructValue<SubFields<F>>[]
      : F['type'] extends PrimitiveType
        ? PrimitiveValue<F['type']>
        : StructValue<SubFields<F>>)
  | NullIf<F>

export type StructValue<S extends readonly FieldSpec[]> = {
  -readonly [F in S[number] as F['name']]: FieldValue<F>
}

/**
 * Whether a sender may leave a field out of a response: Kafka gives it a `default`, or it is
 * tagged (written only when it differs from its default). Every other response field must be
 * given, so that a misspelt or forgotten field does not compile (it would encode as its zero
 * value: a renamed list field goes out empty).
 */
type Omittable<F> = F extends { readonly default: DefaultValue } | { readonly taggedVersions: string } ? true : false

export type FieldInput<F extends FieldSpec, Strict extends boolean = false> =
  | (F['type'] extends `[]${infer E}`
      ? E extends PrimitiveType
        ? readonly PrimitiveValue<E>[]
        : readonly StructInputOf<SubFields<F>, Strict>[]
      : F['type'] extends PrimitiveType
        ? PrimitiveInput<F['type']>
        : StructInputOf<SubFields<F>, Strict>)
  | NullIf<F>

/** What encode accepts: any field may be left out and then takes its default. */
export type StructInput<S extends readonly FieldSpec[]> = {
  readonly [F in S[number] as F['name']]?: FieldInput<F>
}

/**
 * A response body as a handler builds it: the fields without a Kafka default are required (see
 * Omittable), and unknown names are refused. Properties are writable: handlers fill one in.
 */
export type StrictStructInput<S extends readonly FieldSpec[]> = {
  -readonly [F in S[number] as Omittable<F> extends true ? never : F['name']]: FieldInput<F, true>
} & {
  -readonly [F in S[number] as Omittable<F> extends true ? F['name'] : never]?: FieldInput<F, true>
}

type StructInputOf<S extends readonly FieldSpec[], Strict extends boolean> = Strict extends true ? StrictStructInput<S> : StructInput<S>

/** The decoded body of a message: every field present, whatever the version. */
export type Decoded<M extends MessageSchema> = StructValue<M['fields']>
/**
 * The body to send: strict for a response (what the broker's handlers build), lenient for a
 * request (the client relies on per-version defaults). `records` may be a list of Buffers
 * (written by reference, in order).
 */
export type Input<M extends MessageSchema> = M['kind'] extends 'response' ? StrictStructInput<M['fields']> : StructInput<M['fields']>
/** What the codec encodes: any field may be left out and then takes its default. */
export type Encodable<M extends MessageSchema> = StructInput<M['fields']>
