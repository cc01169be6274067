/**
 * The internal topics the coordinators keep their state in (`__consumer_offsets`,
 * `__transaction_state`): compacted, created on first use as Kafka creates them, their partition
 * count, replication factor and min.insync.replicas from broker configs, the last two clamped to
 * the live brokers.
 */
import { brokerConfig } from '../cluster/configs.js'
import { ErrorCode } from '../protocol/errors.js'
import type { ClusterView } from './cluster-view.js'

export interface InternalTopicConfigs {
  /** The broker configs that size the topic. */
  partitions: string
  replicationFactor: string
  /** The topic's min.insync.replicas; absent: the broker default. */
  minIsr?: string
}

/** Creates the topic unless it exists; false when it could not be. */
export async function ensureInternalTopic(cluster: ClusterView, name: string, configs: InternalTopicConfigs): Promise<boolean> {
  if (cluster.image.topicsByName.has(name)) return true
  const cfg = cluster.image
  const live = cluster.image.liveBrokers().length
  const replicationFactor = Math.max(1, Math.min(Number(brokerConfig(cfg, configs.replicationFactor)), live))
  const topicConfigs = [{ name: 'cleanup.policy', value: 'compact' }]
  if (configs.minIsr) topicConfigs.push({ name: 'min.insync.replicas', value: String(Math.max(1, Math.min(Number(brokerConfig(cfg, configs.minIsr)), replicationFactor))) })
  const created = await cluster.createTopic({ name, numPartitions: Number(brokerConfig(cfg, configs.partitions)), replicationFactor, configs: topicConfigs }, false)
  return created.errorCode === ErrorCode.NONE || created.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS
}
