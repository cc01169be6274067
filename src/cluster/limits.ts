/**
 * Partition limits: what one request may add to the cluster. Every partition costs memory and
 * work in every broker that hosts a replica of it (a log, replication state, a slot in the
 * followers' fetches), so an unbounded CreateTopics could take the whole daemon down. Checked by
 * the controller before anything is placed or written, as a Kafka create-topic policy would (after
 * KIP-578's proposed `max.partitions` and `max.broker.partitions`), with the limits as broker
 * configs that any Kafka admin tool can raise (docs/limits.md).
 */
import { ErrorCode } from '../protocol/errors.js'
import { brokerConfig, type BrokerConfigLayers } from './configs.js'
import type { MetadataImage } from './metadata.js'

export interface LimitViolation {
  errorCode: number
  errorMessage: string
}

const HOW_TO_RAISE = (config: string): string =>
  `raise the broker config ${config} (e.g. kafka-configs.sh --bootstrap-server <broker> --entity-type brokers --entity-default --alter --add-config ${config}=<n>)`

/** The per-topic cap, checked before placement so that a huge count never allocates anything. */
export function checkTopicPartitions(layers: BrokerConfigLayers, numPartitions: number): LimitViolation | null {
  const max = Number(brokerConfig(layers, 'max.topic.partitions'))
  if (numPartitions <= max) return null
  return {
    errorCode: ErrorCode.INVALID_PARTITIONS,
    errorMessage: `Number of partitions ${numPartitions} is larger than max.topic.partitions ${max}: ${HOW_TO_RAISE('max.topic.partitions')}.`,
  }
}

/**
 * The cluster-wide caps for a placement about to be added: partitions in the cluster
 * (`max.partitions`) and replicas hosted by any one broker (`max.broker.partitions`).
 */
export function checkClusterPartitions(image: MetadataImage, assignment: readonly (readonly number[])[]): LimitViolation | null {
  const configs = image
  const maxPartitions = Number(brokerConfig(configs, 'max.partitions'))
  const maxBrokerPartitions = Number(brokerConfig(configs, 'max.broker.partitions'))
  let partitions = 0
  const perBroker = new Map<number, number>()
  for (const topic of image.topicsById.values()) {
    partitions += topic.partitions.length
    for (const p of topic.partitions) for (const id of p.replicas) perBroker.set(id, (perBroker.get(id) ?? 0) + 1)
  }
  if (partitions + assignment.length > maxPartitions) {
    return {
      errorCode: ErrorCode.POLICY_VIOLATION,
      errorMessage:
        `Creating ${assignment.length} partitions would make ${partitions + assignment.length} in the cluster, ` +
        `over max.partitions ${maxPartitions} (${partitions} exist): ${HOW_TO_RAISE('max.partitions')}.`,
    }
  }
  const added = new Map<number, number>()
  for (const replicas of assignment) for (const id of replicas) added.set(id, (added.get(id) ?? 0) + 1)
  for (const [id, n] of [...added].sort((a, b) => a[0] - b[0])) {
    const hosted = perBroker.get(id) ?? 0
    if (hosted + n > maxBrokerPartitions) {
      return {
        errorCode: ErrorCode.POLICY_VIOLATION,
        errorMessage:
          `Creating these partitions would put ${hosted + n} partition replicas on broker ${id}, ` +
          `over max.broker.partitions ${maxBrokerPartitions} (it hosts ${hosted}): ${HOW_TO_RAISE('max.broker.partitions')}.`,
      }
    }
  }
  return null
}
