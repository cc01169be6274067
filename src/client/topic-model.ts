/**
 * What `sluice topic ...` takes and gives, apart from the wire: Kafka's topic name rules, the
 * `--config name=value` grammar, and the JSON shapes of the results (what --json prints).
 */
import { usageError } from '../common/errors.js'
import { ZERO_UUID } from '../protocol/primitives.js'

const TOPIC_NAME_LENGTH_MAX = 249

/** A topic id as Kafka prints it (8-4-4-4-12), or null for "no id" (Metadata below v10). */
export function dashedTopicId(hex: string): string | null {
  if (hex === '' || hex === ZERO_UUID) return null
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export interface CreateTopicOptions {
  topic: string
  /** Undefined: the cluster's default (num.partitions). */
  partitions?: number
  /** Undefined: the cluster's default (default.replication.factor). */
  replicationFactor?: number
  configs: ReadonlyMap<string, string>
  /** An existing topic is not an error: it is described and `created` is false. */
  ifNotExists?: boolean
}

export interface CreateTopicResult {
  topic: string
  created: boolean
  /** null when the cluster did not say (Metadata below v10 has no topic ids). */
  topicId: string | null
  partitionCount: number
  replicationFactor: number
  /** The topic's configs that differ from the cluster defaults. */
  configs: Record<string, string | null>
}

export interface TopicSummary {
  topic: string
  /** null when the cluster did not say (Metadata below v10 has no topic ids). */
  topicId: string | null
  internal: boolean
  partitionCount: number
  replicationFactor: number
}

export interface PartitionDescription {
  partition: number
  /** -1 when the partition has no leader (offline). */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
  /** null when the partition has no leader to ask. */
  logStartOffset: number | null
  /** The high watermark: the offset after the last record a consumer can read. */
  endOffset: number | null
  /** Bytes of the leader's log (DescribeLogDirs); null when the cluster did not say. */
  sizeBytes: number | null
}

export interface TopicDescription {
  topic: string
  /** null when the cluster did not say (Metadata below v10 has no topic ids). */
  topicId: string | null
  internal: boolean
  partitionCount: number
  replicationFactor: number
  /** Sum of the partitions' sizes; null when any is unknown. */
  sizeBytes: number | null
  configs: Record<string, string | null>
  /**
   * Configs whose value comes from the brokers' static configs, with Kafka's default: on a sluice
   * daemon, sluice's own defaults where Kafka's differ (none with `daemon start --kafka-defaults`).
   */
  brokerDefaults: Record<string, BrokerDefault>
  partitions: PartitionDescription[]
}

/** A value from the brokers' static configs, and Kafka's default for the same config. */
export interface BrokerDefault {
  value: string | null
  kafka: string | null
}

export interface AlterTopicResult {
  topic: string
  set: Record<string, string>
  deleted: string[]
  /** The topic's configs that differ from the cluster defaults, after the change. */
  configs: Record<string, string | null>
  /** The partition count before and after, when it was changed. */
  partitions?: { from: number; to: number }
}

export interface DeleteTopicResult {
  topic: string
  deleted: boolean
}

/**
 * Kafka's topic name rules (org.apache.kafka.common.internals.Topic.validate), checked before
 * anything is sent so a bad name is a usage error (exit 2) whatever the cluster.
 */
export function validateTopicName(name: string): void {
  if (name === '') throw usageError('bad topic name: it cannot be empty')
  if (name === '.' || name === '..') throw usageError(`bad topic name "${name}": it cannot be "." or ".."`)
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    throw usageError(`bad topic name: it is ${name.length} characters long, the maximum is ${TOPIC_NAME_LENGTH_MAX}`)
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw usageError(`bad topic name "${name}": only ASCII letters, digits, '.', '_' and '-' are allowed`)
  }
}

/** `--config k=v` values as a map; a missing '=', an empty name or a repeated name is a usage error. */
export function parseConfigPairs(pairs: readonly string[], flag = '--config'): Map<string, string> {
  const out = new Map<string, string>()
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usageError(`bad ${flag} "${pair}": expected name=value`)
    const name = pair.slice(0, eq).trim()
    if (name === '') throw usageError(`bad ${flag} "${pair}": expected name=value`)
    if (out.has(name)) throw usageError(`${flag} ${name} is given more than once`)
    out.set(name, pair.slice(eq + 1))
  }
  return out
}
