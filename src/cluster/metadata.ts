/**
 * The cluster's metadata, KRaft style: an ordered log of records (brokers, topics, partitions,
 * partition changes, configs) and the image obtained by applying them in order.
 *
 * The image is the single source of truth for Metadata answers. It is pure data: applying the
 * same records to an empty image always gives the same image.
 */

import { SLUICE_DEFAULTS } from './configs.js'

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
  /** A decommissioned broker (Kafka's UnregisterBrokerRecord): its registration is gone. */
  | { type: 'unregisterBroker'; brokerId: number; brokerEpoch: number }
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
      /**
       * Set when replicas are removed and the leader stays: the leader epoch moves all the same, as
       * Kafka's PartitionChangeBuilder bumps it, so that a fetch a removed replica has in flight (at
       * the old epoch) is fenced rather than answered: a replica moved away and back again must not
       * rejoin the ISR on its old log's fetch.
       */
      bumpLeaderEpoch?: boolean
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
  } else if (record.bumpLeaderEpoch) p.leaderEpoch++
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
  /** The daemon's static broker configs (its profile, not in the metadata log): sluice's defaults unless `--kafka-defaults`. */
  staticBrokerConfigs: ReadonlyMap<string, string> = SLUICE_DEFAULTS
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
      case 'unregisterBroker': {
        if (this.brokers.get(record.brokerId)?.epoch === record.brokerEpoch) this.brokers.delete(record.brokerId)
        return
      }
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

  /**
   * An image rebuilt from a snapshot (KIP-630): the records `imageRecords` gives, applied to an
   * empty image, at the snapshot's offset (the last record the snapshotted image had applied).
   */
  static fromSnapshot(records: readonly MetadataRecord[], offset: number, staticBrokerConfigs: ReadonlyMap<string, string>): MetadataImage {
    const image = new MetadataImage()
    image.staticBrokerConfigs = staticBrokerConfigs
    for (const r of records) image.apply(r, offset)
    image.offset = offset
    return image
  }

  /** A copy of this image (a broker loading the controller's snapshot), sharing nothing with it. */
  copy(): MetadataImage {
    return MetadataImage.fromSnapshot(imageRecords(this), this.offset, this.staticBrokerConfigs)
  }

  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id)
  }

  partition(topicName: string, partition: number): PartitionInfo | undefined {
    return this.topicsByName.get(topicName)?.partitions[partition]
  }
}

/**
 * The image as the fewest records that rebuild it (a KRaft metadata snapshot, KIP-630: the image,
 * not the history): each broker's registration at its epoch and its fence state, the broker
 * configs, each topic with its partitions as they are now (leader and partition epochs included)
 * and its configs, and the next producer id. Applied in order to an empty image, they give an
 * image equal to this one; what only the history had (why a leader changed) is not in them.
 */
export function imageRecords(image: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = []
  for (const b of [...image.brokers.values()].sort((x, y) => x.id - y.id)) {
    records.push({ type: 'registerBroker', brokerId: b.id, host: b.host, port: b.port, rack: b.rack, brokerEpoch: b.epoch })
    // A registration applies fenced: only an unfenced broker needs a second record.
    if (!b.fenced) records.push({ type: 'unfenceBroker', brokerId: b.id, brokerEpoch: b.epoch })
  }
  for (const [name, value] of image.brokerConfigs) records.push({ type: 'config', resourceType: 'broker', resourceName: '', name, value })
  for (const t of image.topicsById.values()) {
    records.push({ type: 'topic', name: t.name, topicId: t.topicId })
    for (const p of t.partitions) {
      records.push({
        type: 'partition',
        topicId: p.topicId,
        partition: p.partition,
        replicas: [...p.replicas],
        isr: [...p.isr],
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        addingReplicas: [...p.addingReplicas],
        removingReplicas: [...p.removingReplicas],
      })
    }
    for (const [name, value] of t.configs) records.push({ type: 'config', resourceType: 'topic', resourceName: t.name, name, value })
  }
  if (image.nextProducerId > 0) records.push({ type: 'producerIds', nextProducerId: image.nextProducerId })
  return records
}
