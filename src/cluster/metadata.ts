/**
 * The cluster's metadata, KRaft style: an ordered log of records (brokers, topics, partitions,
 * partition changes, configs) and the image obtained by applying them in order.
 *
 * The image is the single source of truth for Metadata answers. It is pure data: applying the
 * same records to an empty image always gives the same image.
 */

export interface BrokerRegistration {
  id: number
  host: string
  port: number
  rack: string | null
  /** Bumped on each registration, so a fence of an older incarnation does not fence the new one. */
  epoch: number
  fenced: boolean
}

export interface PartitionInfo {
  topicId: string
  partition: number
  replicas: number[]
  isr: number[]
  /** -1 when the partition has no leader (offline). */
  leader: number
  leaderEpoch: number
  /** Bumped on every change of the partition record (leader, ISR or replicas). */
  partitionEpoch: number
  /**
   * A reassignment in progress (reassignment.ts): `replicas` is then the union of the old and the
   * target replicas, these are the ones it adds and the ones it removes. Empty when none.
   */
  addingReplicas: number[]
  removingReplicas: number[]
}

export interface TopicInfo {
  name: string
  topicId: string
  partitions: PartitionInfo[]
  /** Only the configs set explicitly for the topic; defaults live in configs.ts. */
  configs: Map<string, string>
}

export type MetadataRecord =
  | { type: 'registerBroker'; brokerId: number; host: string; port: number; rack: string | null; brokerEpoch: number }
  | { type: 'fenceBroker'; brokerId: number; brokerEpoch: number }
  | { type: 'unfenceBroker'; brokerId: number; brokerEpoch: number }
  | { type: 'topic'; name: string; topicId: string }
  | {
      type: 'partition'
      topicId: string
      partition: number
      replicas: number[]
      isr: number[]
      leader: number
      leaderEpoch: number
      partitionEpoch: number
      /** A reassignment in progress; absent in records written before reassignment existed. */
      addingReplicas?: number[]
      removingReplicas?: number[]
    }
  | {
      type: 'partitionChange'
      topicId: string
      partition: number
      leader?: number
      isr?: number[]
      replicas?: number[]
      /** Set when a reassignment starts, changes, completes or is cancelled (empty: none in progress). */
      addingReplicas?: number[]
      removingReplicas?: number[]
      /** Why the controller changed it, for `cluster events` (e.g. 'broker 2 fenced', 'preferred'). */
      reason?: string
      /** Set when a replica outside the ISR was elected: records acknowledged by the old ISR may be lost. */
      unclean?: boolean
    }
  | { type: 'producerIds'; nextProducerId: number }
  | { type: 'config'; resourceType: 'topic' | 'broker'; resourceName: string; name: string; value: string | null }
  | { type: 'removeTopic'; topicId: string }

export type PartitionChangeRecord = Extract<MetadataRecord, { type: 'partitionChange' }>

/**
 * Applies a partitionChange record to a partition, in place. Exported so that the controller can
 * compute a second change to the same partition, within one command, from the first one's outcome.
 */
export function applyPartitionChange(p: PartitionInfo, record: PartitionChangeRecord): void {
  if (record.leader !== undefined && record.leader !== p.leader) {
    p.leader = record.leader
    p.leaderEpoch++
  }
  if (record.isr) p.isr = [...record.isr]
  if (record.replicas) p.replicas = [...record.replicas]
  if (record.addingReplicas) p.addingReplicas = [...record.addingReplicas]
  if (record.removingReplicas) p.removingReplicas = [...record.removingReplicas]
  p.partitionEpoch++
}

export class MetadataImage {
  readonly brokers = new Map<number, BrokerRegistration>()
  readonly topicsById = new Map<string, TopicInfo>()
  readonly topicsByName = new Map<string, TopicInfo>()
  readonly brokerConfigs = new Map<string, string>()
  /** The next producer id the controller hands out (InitProducerId). */
  nextProducerId = 0
  /** Offset of the last record applied; -1 for an empty image. */
  offset = -1

  apply(record: MetadataRecord, offset: number): void {
    this.offset = offset
    switch (record.type) {
      case 'registerBroker':
        this.brokers.set(record.brokerId, {
          id: record.brokerId,
          host: record.host,
          port: record.port,
          rack: record.rack,
          epoch: record.brokerEpoch,
          fenced: true,
        })
        return
      case 'fenceBroker':
      case 'unfenceBroker': {
        const broker = this.brokers.get(record.brokerId)
        if (broker && broker.epoch === record.brokerEpoch) broker.fenced = record.type === 'fenceBroker'
        return
      }
      case 'topic': {
        const topic: TopicInfo = { name: record.name, topicId: record.topicId, partitions: [], configs: new Map() }
        this.topicsById.set(record.topicId, topic)
        this.topicsByName.set(record.name, topic)
        return
      }
      case 'partition': {
        const topic = this.topicsById.get(record.topicId)
        if (!topic) return
        topic.partitions[record.partition] = {
          topicId: record.topicId,
          partition: record.partition,
          replicas: [...record.replicas],
          isr: [...record.isr],
          leader: record.leader,
          leaderEpoch: record.leaderEpoch,
          partitionEpoch: record.partitionEpoch,
          addingReplicas: [...(record.addingReplicas ?? [])],
          removingReplicas: [...(record.removingReplicas ?? [])],
        }
        return
      }
      case 'partitionChange': {
        const p = this.topicsById.get(record.topicId)?.partitions[record.partition]
        if (p) applyPartitionChange(p, record)
        return
      }
      case 'config': {
        const target =
          record.resourceType === 'broker' ? this.brokerConfigs : this.topicsByName.get(record.resourceName)?.configs
        if (!target) return
        if (record.value === null) target.delete(record.name)
        else target.set(record.name, record.value)
        return
      }
      case 'producerIds':
        this.nextProducerId = Math.max(this.nextProducerId, record.nextProducerId)
        return
      case 'removeTopic': {
        const topic = this.topicsById.get(record.topicId)
        if (!topic) return
        this.topicsById.delete(record.topicId)
        if (this.topicsByName.get(topic.name) === topic) this.topicsByName.delete(topic.name)
        return
      }
    }
  }

  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id)
  }

  partition(topicName: string, partition: number): PartitionInfo | undefined {
    return this.topicsByName.get(topicName)?.partitions[partition]
  }
}
