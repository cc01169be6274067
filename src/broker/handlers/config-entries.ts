/**
 * Config entries as DescribeConfigs and CreateTopics answer them: value, source, synonyms, type,
 * read-only and sensitive flags, as Kafka's ConfigHelper builds them. Shared by those handlers.
 */
import {
  BROKER_CONFIGS,
  TOPIC_CONFIGS,
  brokerConfigAlterable,
  resolveBrokerConfig,
  resolveTopicConfig,
  type BrokerConfigLayers,
  type ConfigDef,
  type ConfigType,
  type ResolvedConfig,
} from '../../cluster/configs.js'
import { ConfigSource, type DescribeConfigsResponse } from '../../protocol/messages/32-describe-configs.js'

/** Kafka's ConfigType values (DescribeConfigs v3+). */
const CONFIG_TYPE: Record<ConfigType, number> = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 }

/** One config as DescribeConfigs answers it (every field, whatever the version). */
export type ConfigEntry = DescribeConfigsResponse['results'][number]['configs'][number]

export interface DescribeOptions {
  /** The names asked for; null or empty: every config. */
  keys: readonly string[] | null
  documentation: boolean
  synonyms: boolean
}

function entry(def: ConfigDef, resolved: ResolvedConfig, readOnly: boolean, opts: DescribeOptions): ConfigEntry {
  // Kafka never shows a password's value, in the entry or its synonyms.
  const sensitive = def.type === 'password'
  const source = ConfigSource[resolved.source]
  return {
    name: def.name,
    value: sensitive ? null : resolved.value,
    readOnly,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: sensitive,
    synonyms: opts.synonyms ? resolved.synonyms.map((s) => ({ name: s.name, value: sensitive ? null : s.value, source: ConfigSource[s.source] })) : [],
    configType: CONFIG_TYPE[def.type],
    documentation: opts.documentation ? def.doc : null,
  }
}

/** The definitions asked for, in the order of the full list; unknown names are left out, as Kafka does. */
function selected<D extends ConfigDef>(defs: ReadonlyMap<string, D>, keys: readonly string[] | null): D[] {
  const all = [...defs.values()]
  if (!keys || keys.length === 0) return all
  const wanted = new Set(keys)
  return all.filter((d) => wanted.has(d.name))
}

export function describeTopicConfigs(explicit: ReadonlyMap<string, string>, layers: BrokerConfigLayers, opts: DescribeOptions): ConfigEntry[] {
  return selected(TOPIC_CONFIGS, opts.keys).map((def) => entry(def, resolveTopicConfig(explicit, layers, def.name), false, opts))
}

/**
 * A broker resource: one broker's (every config, every layer), or the cluster default's ("": only
 * the configs set dynamically, as Kafka answers it).
 */
export function describeBrokerConfigs(layers: BrokerConfigLayers, clusterDefault: boolean, opts: DescribeOptions): ConfigEntry[] {
  const defs = selected(BROKER_CONFIGS, opts.keys).filter((def) => !clusterDefault || layers.brokerConfigs.has(def.name))
  return defs.map((def) => entry(def, resolveBrokerConfig(layers, def.name, clusterDefault), !brokerConfigAlterable(def), opts))
}
