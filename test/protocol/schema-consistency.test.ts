/**
 * Checks our hand-written schemas against Kafka's JSON message schemas, for the versions we
 * support: every field present with the same (camelCased) name, type, versions, nullable and
 * tagged versions, tag and default; no field of ours that Kafka does not have; same apiKey and
 * flexible versions. Skipped when the reference files are not there (they are not shipped).
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { API_SCHEMAS } from '../../src/protocol/apis.js'
import { defaultMaker } from '../../src/protocol/codec.js'
import { type FieldSpec, type MessageSchema, inVersions, parseVersions } from '../../src/protocol/schema.js'

const dirUrl = process.env.KAFKA_PROTOCOL_DIR ?? new URL('../../../shared/kafka-protocol/message', import.meta.url)
const dir = typeof dirUrl === 'string' ? dirUrl : fileURLToPath(dirUrl)
const present = fs.existsSync(dir)
if (!present) console.warn(`schema consistency skipped: no Kafka message schemas at ${dir}`)

interface JsonField {
  name: string
  type: string
  versions: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number
  default?: string | number | boolean
  fields?: JsonField[]
}

interface JsonMessage {
  apiKey: number
  name: string
  validVersions: string
  flexibleVersions: string
  fields: JsonField[]
  commonStructs?: { name: string; fields: JsonField[] }[]
}

/** Removes // comments outside strings (the files are JSON with comments). */
function stripComments(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (inString) {
      out += c
      if (c === '\\') out += text[++i] ?? ''
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else {
      out += c
    }
  }
  return out
}

function load(name: string): JsonMessage {
  return JSON.parse(stripComments(fs.readFileSync(`${dir}/${name}.json`, 'utf8'))) as JsonMessage
}

const camel = (name: string): string => name[0]!.toLowerCase() + name.slice(1)

const PRIMITIVES = new Set(['int8', 'int16', 'int32', 'int64', 'uint16', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid'])

/** The default Kafka gives a scalar or array field, in our value terms. */
function kafkaDefault(f: JsonField): unknown {
  const d = f.default === undefined ? undefined : String(f.default)
  if (f.type.startsWith('[]')) return d === 'null' ? null : []
  if (d === 'null') return null
  switch (f.type) {
    case 'bool':
      return d === 'true'
    case 'string':
      return d ?? ''
    case 'uuid':
      return '0'.repeat(32)
    case 'bytes':
      return Buffer.alloc(0)
    case 'records':
      return null
    default:
      return d === undefined ? 0 : Number(d)
  }
}

function compareFields(
  ours: readonly FieldSpec[],
  theirs: JsonField[],
  path: string,
  versions: number[],
  structs: Map<string, JsonField[]>,
): void {
  const live = theirs.filter((t) => versions.some((v) => inVersions(t.versions, v)))
  for (const t of live) {
    const where = `${path}.${t.name}`
    const o = ours.find((x) => x.name === camel(t.name))
    expect(o, `${where} missing`).toBeDefined()
    if (!o) continue
    expect(o.type, `${where} type`).toBe(t.type)
    for (const v of versions) {
      const inT = inVersions(t.versions, v)
      expect(inVersions(o.versions, v), `${where} present in v${v}`).toBe(inT)
      if (!inT) continue
      expect(inVersions(o.nullableVersions, v), `${where} nullable in v${v}`).toBe(inVersions(t.nullableVersions, v))
      expect(inVersions(o.taggedVersions, v), `${where} tagged in v${v}`).toBe(inVersions(t.taggedVersions, v))
    }
    if (t.taggedVersions !== undefined && versions.some((v) => inVersions(t.taggedVersions, v))) {
      expect(o.tag, `${where} tag`).toBe(t.tag)
    }
    const elem = t.type.startsWith('[]') ? t.type.slice(2) : t.type
    const sub = t.fields ?? (PRIMITIVES.has(elem) ? undefined : structs.get(elem))
    if (sub) {
      expect(o.fields, `${where} fields`).toBeDefined()
      compareFields(o.fields ?? [], sub, where, versions.filter((v) => inVersions(t.versions, v)), structs)
      if (t.type.startsWith('[]')) expect(defaultMaker(o)(), `${where} default`).toEqual(kafkaDefault(t))
    } else {
      expect(defaultMaker(o)(), `${where} default`).toEqual(kafkaDefault(t))
    }
  }
  for (const o of ours) {
    expect(
      live.some((t) => camel(t.name) === o.name),
      `${path}.${o.name} is ours but not Kafka's in these versions`,
    ).toBe(true)
  }
}

function compareMessage(schema: MessageSchema): void {
  const json = load(schema.name)
  expect(json.apiKey).toBe(schema.apiKey)
  const [min, max] = parseVersions(schema.validVersions)
  const [jMin, jMax] = parseVersions(json.validVersions)
  expect(min).toBeGreaterThanOrEqual(jMin)
  expect(max).toBeLessThanOrEqual(jMax)
  const versions: number[] = []
  for (let v = min; v <= max; v++) versions.push(v)
  for (const v of versions) {
    expect(inVersions(schema.flexibleVersions, v), `${schema.name} flexible in v${v}`).toBe(inVersions(json.flexibleVersions, v))
  }
  const structs = new Map((json.commonStructs ?? []).map((c) => [c.name, c.fields]))
  compareFields(schema.fields, json.fields, schema.name, versions, structs)
}

describe.skipIf(!present)('schemas match Kafka message JSON', () => {
  for (const api of API_SCHEMAS.values()) {
    it(`${api.name} v${api.minVersion}-${api.maxVersion}`, () => {
      compareMessage(api.request)
      compareMessage(api.response)
    })
  }

  it('the comment stripper keeps // inside strings', () => {
    expect(JSON.parse(stripComments('{ "a": "x // y" } // c\n'))).toEqual({ a: 'x // y' })
  })
})
