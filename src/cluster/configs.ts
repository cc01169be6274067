/**
 * Where a config's value comes from, as Kafka decides it. A broker config is looked up in its
 * layers: the dynamic configs (set through AlterConfigs, in the metadata log), the static ones (the
 * daemon's profile: sluice's own defaults, or none with `--kafka-defaults`), then Kafka's default.
 * A topic config is the topic's own value, else its broker synonyms' (ServerTopicConfigSynonyms:
 * `retention.ms` from `log.retention.ms`, `log.retention.minutes`, `log.retention.hours`, first
 * set wins, converted to milliseconds), else its own default. Unknown names are refused
 * (INVALID_CONFIG) by the controller, as Kafka does.
 */
import { BROKER_CONFIGS, type BrokerConfigDef } from './broker-configs.js'
import { TOPIC_CONFIGS, type TopicConfigDef } from './topic-configs.js'

export { BROKER_CONFIGS, type BrokerConfigDef } from './broker-configs.js'
export { TOPIC_CONFIGS, type TopicConfigDef } from './topic-configs.js'
export { validateConfig, listItems, invalidValueMessage, type ConfigDef, type ConfigType } from './config-def.js'

/** Kafka's ConfigSource names (DescribeConfigs v1+); the protocol layer maps them to numbers. */
export type ConfigSourceName =
  | 'DYNAMIC_TOPIC_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DEFAULT_CONFIG'

/** The broker-level layers of a cluster's configs (the metadata image has both). */
export interface BrokerConfigLayers {
  /** Set through AlterConfigs: one cluster-wide set, whichever broker resource named them. */
  readonly brokerConfigs: ReadonlyMap<string, string>
  /** The daemon's profile: what Kafka would read from server.properties. */
  readonly staticBrokerConfigs: ReadonlyMap<string, string>
}

/**
 * Sluice's own defaults where they differ from Kafka's on purpose: a three-broker cluster on one
 * machine that acknowledges acks=all on two replicas, spreads a topic over every broker, starts a
 * group at once and restores leaders and aborts stuck transactions within seconds. They act as a
 * static broker config (STATIC_BROKER_CONFIG), so DescribeConfigs shows Kafka's default beneath
 * them; `daemon start --kafka-defaults` leaves them out.
 */
export const SLUICE_DEFAULTS: ReadonlyMap<string, string> = new Map([
  ['num.partitions', '3'],
  ['default.replication.factor', '3'],
  ['min.insync.replicas', '2'],
  ['group.initial.rebalance.delay.ms', '0'],
  ['offsets.topic.num.partitions', '10'],
  ['transaction.state.log.num.partitions', '10'],
  ['leader.imbalance.check.interval.seconds', '30'],
  ['transaction.abort.timed.out.transaction.cleanup.interval.ms', '1000'],
  ['metadata.log.max.record.bytes.between.snapshots', '1048576'],
])

/** One synonym of a config as DescribeConfigs lists them, in Kafka's order of precedence. */
export interface ConfigSynonym {
  name: string
  value: string | null
  source: ConfigSourceName
}

/** A config's value, where it comes from, and the synonyms that were looked at. */
export interface ResolvedConfig {
  value: string | null
  source: ConfigSourceName
  synonyms: ConfigSynonym[]
}

function brokerDef(name: string): BrokerConfigDef {
  const def = BROKER_CONFIGS.get(name)
  if (!def) throw new Error(`unknown broker config ${name}`)
  return def
}

function topicDef(name: string): TopicConfigDef {
  const def = TOPIC_CONFIGS.get(name)
  if (!def) throw new Error(`unknown topic config ${name}`)
  return def
}

/** A broker config's value: dynamic, else static, else Kafka's default (null when Kafka has none). */
export function brokerConfigValue(layers: BrokerConfigLayers, name: string): string | null {
  return layers.brokerConfigs.get(name) ?? layers.staticBrokerConfigs.get(name) ?? brokerDef(name).default
}

/** A broker config that always has a value (every config sluice reads has a default). */
export function brokerConfig(layers: BrokerConfigLayers, name: string): string {
  const value = brokerConfigValue(layers, name)
  if (value === null) throw new Error(`broker config ${name} has no value`)
  return value
}

/** A topic config's value: the topic's own, else its broker synonyms' (converted), else its default. */
export function topicConfig(explicit: ReadonlyMap<string, string>, layers: BrokerConfigLayers, name: string): string {
  const set = explicit.get(name)
  if (set !== undefined) return set
  const def = topicDef(name)
  for (const synonym of def.synonyms) {
    const value = brokerConfigValue(layers, synonym.name)
    if (value === null) continue
    if (synonym.unitMs === undefined) return value
    const n = Number(value)
    // Kafka: a negative retention in any unit means "forever", -1.
    return n < 0 ? '-1' : String(n * synonym.unitMs)
  }
  return def.default ?? ''
}

/** The broker configs that set one setting in several units (DynamicBrokerConfig.brokerConfigSynonyms). */
function brokerSynonymNames(name: string): string[] {
  const groups = [
    ['log.roll.ms', 'log.roll.hours'],
    ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ]
  if (name === 'log.flush.interval.ms') return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms']
  return groups.find((g) => g.includes(name)) ?? [name]
}

/**
 * The synonyms of a broker config, layer by layer (dynamic, static, default), each layer in the
 * synonyms' order, from the first entry of the config's own name on (Kafka's
 * ConfigHelper.configSynonyms: describing log.retention.hours does not list log.retention.ms).
 */
function brokerSynonyms(layers: BrokerConfigLayers, name: string, dynamicOnly: boolean): ConfigSynonym[] {
  const names = brokerSynonymNames(name)
  const out: ConfigSynonym[] = []
  const add = (get: (n: string) => string | null | undefined, source: ConfigSourceName): void => {
    for (const n of names) {
      const value = get(n)
      if (value !== undefined && value !== null) out.push({ name: n, value, source })
    }
  }
  add((n) => layers.brokerConfigs.get(n), 'DYNAMIC_DEFAULT_BROKER_CONFIG')
  if (!dynamicOnly) {
    add((n) => layers.staticBrokerConfigs.get(n), 'STATIC_BROKER_CONFIG')
    add((n) => brokerDef(n).default, 'DEFAULT_CONFIG')
  }
  const first = out.findIndex((s) => s.name === name)
  return first === -1 ? [] : out.slice(first)
}

/**
 * A broker config as DescribeConfigs answers it: for one broker (`dynamicOnly` false) every layer;
 * for the cluster default resource ("") only the dynamic layer, as Kafka does.
 */
export function resolveBrokerConfig(layers: BrokerConfigLayers, name: string, dynamicOnly: boolean): ResolvedConfig {
  const synonyms = brokerSynonyms(layers, name, dynamicOnly)
  const value = dynamicOnly ? (layers.brokerConfigs.get(name) ?? null) : brokerConfigValue(layers, name)
  return { value, source: synonyms[0]?.source ?? 'DEFAULT_CONFIG', synonyms }
}

/** A topic config as DescribeConfigs answers it: the topic's own value first, then its primary broker synonym's chain. */
export function resolveTopicConfig(explicit: ReadonlyMap<string, string>, layers: BrokerConfigLayers, name: string): ResolvedConfig {
  const def = topicDef(name)
  const primary = def.synonyms[0]
  const synonyms: ConfigSynonym[] = []
  const own = explicit.get(name)
  if (own !== undefined) synonyms.push({ name, value: own, source: 'DYNAMIC_TOPIC_CONFIG' })
  if (primary) synonyms.push(...brokerSynonyms(layers, primary.name, false))
  return { value: topicConfig(explicit, layers, name), source: synonyms[0]?.source ?? 'DEFAULT_CONFIG', synonyms }
}

/** Whether AlterConfigs may change a broker config: Kafka's dynamic ones, and every one sluice honours. */
export function brokerConfigAlterable(def: BrokerConfigDef): boolean {
  return def.dynamic || def.honoured
}

/** One change of AlterConfigs or IncrementalAlterConfigs: set (value), remove (null), or a list operation. */
export interface ConfigChange {
  name: string
  value: string | null
  /** IncrementalAlterConfigs' APPEND and SUBTRACT: `value` holds the comma-separated items. */
  op?: 'append' | 'subtract'
}

/**
 * The value a list operation leaves, as Kafka's controller computes it: from the resource's own
 * value, else the config's default; APPEND adds the items not there yet, SUBTRACT removes one
 * occurrence of each (an absent item changes nothing).
 */
export function applyListOp(current: string | null, items: string, op: 'append' | 'subtract'): string {
  const parts = (current ?? '').split(',').filter((p) => p !== '')
  for (const item of items.split(',')) {
    if (op === 'append') {
      if (!parts.includes(item)) parts.push(item)
    } else {
      const at = parts.indexOf(item)
      if (at !== -1) parts.splice(at, 1)
    }
  }
  return parts.join(',')
}
