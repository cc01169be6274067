/**
 * Config entries as DescribeConfigs and CreateTopics answer them: value, source, type, synonyms.
 * Shared by the handlers of those APIs.
 */
import { BROKER_CONFIGS, TOPIC_CONFIGS, brokerConfig, topicConfig, type ConfigDef } from '../../cluster/configs.js'
import { ConfigSource, type DescribeConfigsResponse } from '../../protocol/messages/32-describe-configs.js'

/** Kafka's ConfigType values (DescribeConfigs v3+). */
const CONFIG_TYPE: Record<ConfigDef['type'], number> = { boolean: 1, string: 2, int: 3, long: 5, double: 6, list: 7 }

/** One config as DescribeConfigs answers it (every field, whatever the version). */
export type ConfigEntry = DescribeConfigsResponse['results'][number]['configs'][number]

function entry(def: ConfigDef, value: string, source: number, synonyms: boolean, documentation: boolean): ConfigEntry {
  return {
    name: def.name,
    value,
    readOnly: false,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: synonyms ? [{ name: def.name, value, source }] : [],
    configType: CONFIG_TYPE[def.type],
    documentation: documentation ? def.doc : null,
  }
}

export function describeTopicConfigs(
  explicit: ReadonlyMap<string, string>,
  brokerConfigs: ReadonlyMap<string, string>,
  keys: string[] | null,
  withDocs: boolean,
  withSynonyms = false,
): ConfigEntry[] {
  const defs = keys ? keys.map((k) => TOPIC_CONFIGS.get(k)).filter((d): d is ConfigDef => d !== undefined) : [...TOPIC_CONFIGS.values()]
  return defs.map((def) => {
    const source = explicit.has(def.name) ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG
    return entry(def, topicConfig(explicit, brokerConfigs, def.name), source, withSynonyms, withDocs)
  })
}

export function describeBrokerConfigs(
  brokerConfigs: ReadonlyMap<string, string>,
  keys: string[] | null,
  withDocs: boolean,
  withSynonyms = false,
): ConfigEntry[] {
  const defs = keys ? keys.map((k) => BROKER_CONFIGS.get(k)).filter((d): d is ConfigDef => d !== undefined) : [...BROKER_CONFIGS.values()]
  return defs.map((def) => {
    const source = brokerConfigs.has(def.name) ? ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG
    return entry(def, brokerConfig(brokerConfigs, def.name), source, withSynonyms, withDocs)
  })
}
