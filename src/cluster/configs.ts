/**
 * Topic and broker configs that sluice knows: names, types, defaults and validation, as Kafka
 * names them. Unknown names are rejected (INVALID_CONFIG), as Kafka does.
 */

export type ConfigType = 'boolean' | 'int' | 'long' | 'string' | 'list' | 'double'

export interface ConfigDef {
  name: string
  type: ConfigType
  default: string
  doc: string
  /** Allowed values for enumerations (list entries are each checked). */
  choices?: string[]
  min?: number
}

const topicConfigList: ConfigDef[] = [
  { name: 'cleanup.policy', type: 'list', default: 'delete', choices: ['delete', 'compact'], doc: 'delete old batches by retention, or compact to the last record per key' },
  { name: 'retention.ms', type: 'long', default: '604800000', min: -1, doc: 'how long batches are kept (-1: forever)' },
  { name: 'retention.bytes', type: 'long', default: '-1', min: -1, doc: 'how large a partition may grow before old batches are deleted (-1: unlimited)' },
  { name: 'max.message.bytes', type: 'int', default: '1048588', min: 0, doc: 'the largest record batch the topic accepts' },
  { name: 'min.insync.replicas', type: 'int', default: '2', min: 1, doc: 'replicas that must have a batch before acks=all succeeds (clamped to the replication factor)' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', doc: 'elect a replica outside the ISR when no ISR member is alive (loses data)' },
  { name: 'delete.retention.ms', type: 'long', default: '86400000', min: 0, doc: 'how long tombstones are kept on compacted topics' },
  { name: 'message.timestamp.type', type: 'string', default: 'CreateTime', choices: ['CreateTime', 'LogAppendTime'], doc: 'which timestamp the log keeps' },
  { name: 'compression.type', type: 'string', default: 'producer', choices: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'], doc: 'stored as the producer sent it (only "producer" is honoured)' },
  { name: 'segment.bytes', type: 'int', default: '1073741824', min: 14, doc: 'accepted for compatibility; sluice keeps no segments' },
  { name: 'segment.ms', type: 'long', default: '604800000', min: 1, doc: 'accepted for compatibility; sluice keeps no segments' },
]

export const TOPIC_CONFIGS: ReadonlyMap<string, ConfigDef> = new Map(topicConfigList.map((c) => [c.name, c]))

const brokerConfigList: ConfigDef[] = [
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true', doc: 'create a topic when a client asks for its metadata' },
  { name: 'num.partitions', type: 'int', default: '3', min: 1, doc: 'partitions of a topic created without a count' },
  { name: 'default.replication.factor', type: 'int', default: '3', min: 1, doc: 'replication factor of a topic created without one (clamped to the broker count)' },
  { name: 'min.insync.replicas', type: 'int', default: '2', min: 1, doc: 'default min.insync.replicas of topics' },
  { name: 'log.retention.check.interval.ms', type: 'long', default: '300000', min: 1, doc: 'how often retention runs' },
  { name: 'message.max.bytes', type: 'int', default: '1048588', min: 0, doc: 'default max.message.bytes of topics' },
  { name: 'broker.session.timeout.ms', type: 'int', default: '9000', min: 1, doc: 'a broker that has not heartbeated for this long is fenced and loses its leaderships' },
  { name: 'broker.heartbeat.interval.ms', type: 'int', default: '2000', min: 1, doc: 'how often brokers heartbeat to the controller' },
  { name: 'replica.lag.time.max.ms', type: 'long', default: '30000', min: 1, doc: 'a follower not caught up for this long leaves the ISR' },
  { name: 'connections.max.idle.ms', type: 'long', default: '600000', min: 1, doc: 'a client connection that sends and receives nothing for this long is closed (a half-sent request included)' },
  { name: 'replica.fetch.wait.max.ms', type: 'int', default: '500', min: 0, doc: 'how long a follower fetch waits for new data' },
  { name: 'max.incremental.fetch.session.cache.slots', type: 'int', default: '1000', min: 0, doc: 'fetch sessions (KIP-227) each broker keeps; a client beyond them gets none and fetches in full' },
  { name: 'producer.id.expiration.ms', type: 'int', default: '86400000', min: 1, doc: "how long a partition keeps an idempotent producer's sequences after its last batch" },
  { name: 'auto.leader.rebalance.enable', type: 'boolean', default: 'true', doc: 'move leadership back to preferred replicas when they are in sync' },
  { name: 'leader.imbalance.check.interval.seconds', type: 'long', default: '30', min: 1, doc: 'how often preferred leaders are restored (Kafka: 300)' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', doc: 'default of the topic config of the same name' },
  { name: 'group.initial.rebalance.delay.ms', type: 'int', default: '0', min: 0, doc: 'how long a new group waits for more members before its first rebalance (Kafka: 3000)' },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '6000', min: 1, doc: 'the shortest session timeout a consumer may ask for' },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000', min: 1, doc: 'the longest session timeout a consumer may ask for' },
  { name: 'offsets.topic.num.partitions', type: 'int', default: '10', min: 1, doc: 'partitions of __consumer_offsets, when it is created (Kafka: 50)' },
  { name: 'offsets.topic.replication.factor', type: 'int', default: '3', min: 1, doc: 'replication factor of __consumer_offsets (clamped to the brokers)' },
  // The transaction coordinator (src/broker/txn-coordinator.ts, docs/transactions.md).
  { name: 'transaction.state.log.num.partitions', type: 'int', default: '10', min: 1, doc: 'partitions of __transaction_state, when it is created (Kafka: 50)' },
  { name: 'transaction.state.log.replication.factor', type: 'int', default: '3', min: 1, doc: 'replication factor of __transaction_state (clamped to the live brokers)' },
  { name: 'transaction.state.log.min.isr', type: 'int', default: '2', min: 1, doc: 'min.insync.replicas of __transaction_state (clamped to its replication factor)' },
  { name: 'transaction.max.timeout.ms', type: 'int', default: '900000', min: 1, doc: 'the longest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT above it)' },
  { name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', min: 1, doc: 'a transactional id with no transaction open and no request for this long is forgotten' },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'int', default: '1000', min: 1, doc: 'how often transactions open longer than their timeout are aborted (Kafka: 10000)' },
  { name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: 'int', default: '3600000', min: 1, doc: 'how often expired transactional ids are removed' },
  // Partition limits (src/cluster/limits.ts, docs/limits.md): what one request may add.
  { name: 'max.topic.partitions', type: 'int', default: '10000', min: 1, doc: 'the most partitions one topic may have (INVALID_PARTITIONS above it)' },
  { name: 'max.partitions', type: 'int', default: '20000', min: 1, doc: 'the most partitions in the cluster, each counted once (POLICY_VIOLATION above it; KIP-578)' },
  { name: 'max.broker.partitions', type: 'int', default: '12000', min: 1, doc: 'the most partition replicas one broker may host (POLICY_VIOLATION above it; KIP-578)' },
]

export const BROKER_CONFIGS: ReadonlyMap<string, ConfigDef> = new Map(brokerConfigList.map((c) => [c.name, c]))

/** Returns an error message, or null when the value is valid for the config. */
export function validateConfig(def: ConfigDef, value: string): string | null {
  switch (def.type) {
    case 'boolean':
      return value === 'true' || value === 'false' ? null : `${def.name} must be true or false, not "${value}"`
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value)) return `${def.name} must be an integer, not "${value}"`
      const n = Number(value)
      if (def.type === 'int' && (n > 2147483647 || n < -2147483648)) return `${def.name} is out of range: ${value}`
      if (def.min !== undefined && n < def.min) return `${def.name} must be at least ${def.min}, not ${value}`
      return null
    }
    case 'double':
      return Number.isFinite(Number(value)) ? null : `${def.name} must be a number, not "${value}"`
    case 'list': {
      const items = value.split(',').map((s) => s.trim())
      const bad = def.choices ? items.filter((i) => !def.choices!.includes(i)) : []
      return bad.length === 0 ? null : `${def.name} must be one of ${def.choices!.join(', ')}, not "${value}"`
    }
    case 'string':
      return !def.choices || def.choices.includes(value) ? null : `${def.name} must be one of ${def.choices.join(', ')}, not "${value}"`
  }
}

/** Resolved config view for a topic: explicit value, else broker default, else built-in default. */
export function topicConfig(
  explicit: ReadonlyMap<string, string>,
  brokerConfigs: ReadonlyMap<string, string>,
  name: string,
): string {
  const set = explicit.get(name)
  if (set !== undefined) return set
  if (name === 'min.insync.replicas' || name === 'max.message.bytes' || name === 'unclean.leader.election.enable') {
    const brokerName = name === 'max.message.bytes' ? 'message.max.bytes' : name
    const b = brokerConfigs.get(brokerName)
    if (b !== undefined) return b
  }
  const def = TOPIC_CONFIGS.get(name)
  if (!def) throw new Error(`unknown topic config ${name}`)
  return def.default
}

export function brokerConfig(brokerConfigs: ReadonlyMap<string, string>, name: string): string {
  const set = brokerConfigs.get(name)
  if (set !== undefined) return set
  const def = BROKER_CONFIGS.get(name)
  if (!def) throw new Error(`unknown broker config ${name}`)
  return def.default
}
