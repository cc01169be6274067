/**
 * What a config definition says (Kafka's ConfigDef: name, type, default, validator, doc) and the
 * check of a value against it. The topic and broker lists are in topic-configs.ts and
 * broker-configs.ts.
 */

/** Kafka's ConfigDef types (a password is sensitive: never shown). */
export type ConfigType = 'boolean' | 'short' | 'int' | 'long' | 'double' | 'string' | 'list' | 'class' | 'password'

export interface ConfigDef {
  name: string
  type: ConfigType
  /** Kafka's default, as Kafka writes it; null when Kafka has none. */
  default: string | null
  /** In our words: what the config does (and, where sluice differs, how). */
  doc: string
  /** False: accepted, validated and described, but sluice has no mechanism for it (docs/unsupported.md). */
  honoured: boolean
  /** Allowed values of an enumeration (each item of a list). */
  choices?: readonly string[]
  min?: number
  max?: number
  /** Values allowed outside [min, max] (gzip's -1). */
  alsoAllowed?: readonly string[]
  /** A list whose whole value must match (throttled replica lists). */
  listPattern?: RegExp
}

const INT_RANGE: Partial<Record<ConfigType, [number, number]>> = {
  short: [-32768, 32767],
  int: [-2147483648, 2147483647],
}

function rangeError(def: ConfigDef, value: string, n: number): string | null {
  if (def.alsoAllowed?.includes(value)) return null
  if (def.min !== undefined && def.max !== undefined && (n < def.min || n > def.max)) {
    return `Value must be in the range [${def.min},...,${def.max}]`
  }
  if (def.min !== undefined && n < def.min) return `Value must be at least ${def.min}`
  if (def.max !== undefined && n > def.max) return `Value must be no more than ${def.max}`
  return null
}

/** The items of a list value as Kafka splits them (trimmed, an empty value is an empty list). */
export function listItems(value: string): string[] {
  const trimmed = value.trim()
  return trimmed === '' ? [] : trimmed.split(/\s*,\s*/)
}

/** Returns why a value is invalid for the config (Kafka's wording where it has one), or null. */
export function validateConfig(def: ConfigDef, value: string): string | null {
  switch (def.type) {
    case 'boolean':
      return /^(true|false)$/i.test(value.trim()) ? null : 'Expected value to be either true or false'
    case 'short':
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value.trim())) return `Not a number of type ${def.type.toUpperCase()}`
      const n = Number(value)
      const range = INT_RANGE[def.type]
      if (range && (n < range[0] || n > range[1])) return `Not a number of type ${def.type.toUpperCase()}`
      if (def.type === 'long' && (BigInt(value.trim()) > 9223372036854775807n || BigInt(value.trim()) < -9223372036854775808n)) {
        return 'Not a number of type LONG'
      }
      return rangeError(def, value.trim(), n)
    }
    case 'double': {
      const n = Number(value)
      if (value.trim() === '' || !Number.isFinite(n)) return 'Not a number of type DOUBLE'
      return rangeError(def, value.trim(), n)
    }
    case 'list': {
      if (def.listPattern && !def.listPattern.test(value.trim())) {
        return 'must be the literal \'*\' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...'
      }
      const bad = def.choices ? listItems(value).filter((i) => !def.choices!.includes(i)) : []
      return bad.length === 0 ? null : `String must be one of: ${def.choices!.join(', ')}`
    }
    case 'string':
      return !def.choices || def.choices.includes(value) ? null : `String must be one of: ${def.choices.join(', ')}`
    case 'class':
    case 'password':
      return null
  }
}

/** Kafka's message for a value its validator refuses (InvalidConfigurationException). */
export function invalidValueMessage(name: string, value: string, why: string): string {
  return `Invalid value ${value} for configuration ${name}: ${why}`
}
