/**
 * The controller: the one owner of cluster metadata. Commands (create topic, delete topic, alter
 * configs, register a broker) are validated against the current image and turned into metadata
 * records; the caller persists the records and then commits them (persist before you answer).
 *
 * Deterministic: randomness (topic ids, replica placement) comes from the injected seeded RNG.
 */
import { BROKER_CONFIGS, TOPIC_CONFIGS, applyListOp, brokerConfig, brokerConfigAlterable, validateConfig, type ConfigChange } from './configs.js'
import { changesForFencedBroker, changesForReturningBroker, failoverChange, partitionWithoutBroker, preferredLeaderChanges } from './elections.js'
import { ErrorCode } from '../protocol/errors.js'
import { checkClusterPartitions, checkTopicPartitions } from './limits.js'
import { applyPartitionChange, MetadataImage, type MetadataRecord, type PartitionChangeRecord, type PartitionInfo } from './metadata.js'
import { assignReplicas, newPartitionRecords, replicaListError } from './placement.js'
import {
  alterReassignments,
  clonePartition,
  completionChange,
  completionChanges,
  isReassigning,
  listReassignments,
  type OngoingReassignment,
  type ReassignmentFilter,
  type ReassignmentRequest,
  type ReassignmentResult,
} from './reassignment.js'
import { randomUuid, type Rng } from './rng.js'

export interface CommandResult<T = undefined> {
  errorCode: number
  errorMessage: string | null
  records: MetadataRecord[]
  value?: T
}

export interface CreateTopicRequest {
  name: string
  /** -1: the broker default (num.partitions). */
  numPartitions: number
  /** -1: the broker default (default.replication.factor), clamped to the live broker count. */
  replicationFactor: number
  /** Explicit placement, partition index -> broker ids; empty for automatic placement. */
  assignments?: { partitionIndex: number; brokerIds: number[] }[]
  configs?: { name: string; value: string | null }[]
}

export interface CreatePartitionsRequest {
  name: string
  /** The new total number of partitions. */
  count: number
  /** The replicas of each new partition, in order; null: placed as topic creation places them. */
  assignments: number[][] | null
}

export interface AlterIsrRequest {
  brokerId: number
  topicId: string
  partition: number
  leaderEpoch: number
  partitionEpoch: number
  isr: number[]
}

export interface CreatedTopic {
  topicId: string
  numPartitions: number
  replicationFactor: number
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/
const TOPIC_NAME_MAX = 249

export function validateTopicName(name: string): string | null {
  if (name.length === 0) return 'the topic name is empty'
  if (name === '.' || name === '..') return `"${name}" is not a valid topic name`
  if (name.length > TOPIC_NAME_MAX) return `the topic name is longer than ${TOPIC_NAME_MAX} characters`
  if (!TOPIC_NAME.test(name)) return `"${name}" has characters other than ASCII letters, digits, '.', '_' and '-'`
  return null
}

function fail<T>(errorCode: number, errorMessage: string): CommandResult<T> {
  return { errorCode, errorMessage, records: [] }
}

export class Controller {
  /** Heartbeat times are soft state, as in KRaft: not in the log, rebuilt as brokers heartbeat. */
  private readonly lastHeartbeatMs = new Map<number, number>()
  /** The metadata offset each broker's last heartbeat said its image has applied (KRaft's currentMetadataOffset). */
  private readonly reportedOffsets = new Map<number, number>()
  private lastRebalanceMs = 0

  constructor(
    readonly image: MetadataImage,
    private readonly rng: Rng,
  ) {}

  /** Applies records that were persisted (or replayed from the metadata log). */
  commit(records: MetadataRecord[]): void {
    for (const record of records) this.image.apply(record, this.image.offset + 1)
  }

  /**
   * Applies records at the metadata offsets the log gave them: a snapshot's records all carry the
   * snapshot's offset (they rebuild the image as of that offset), so counting them would not.
   */
  commitAt(stored: readonly { offset: number; record: MetadataRecord }[]): void {
    for (const s of stored) this.image.apply(s.record, s.offset)
  }

  registerBroker(brokerId: number, host: string, port: number, nowMs = 0): CommandResult {
    const previous = this.image.brokers.get(brokerId)
    const brokerEpoch = previous ? previous.epoch + 1 : 0
    this.lastHeartbeatMs.set(brokerId, nowMs)
    // Registering while the previous incarnation is unfenced means the broker restarted before its
    // session timed out. Fence that incarnation first (Kafka's unclean-shutdown handling): its
    // leaderships move with a new leader epoch. Otherwise the new process would lead on in the
    // same epoch with a high watermark reloaded from a lagging checkpoint: the high watermark
    // would go back within an epoch (test/sim/regressions.test.ts).
    const fenced = previous && !previous.fenced ? this.fenceRecords(brokerId, `broker ${brokerId} restarted`) : []
    const records: MetadataRecord[] = [
      ...fenced,
      { type: 'registerBroker', brokerId, host, port, rack: null, brokerEpoch },
      { type: 'unfenceBroker', brokerId, brokerEpoch },
    ]
    // Elections see the broker as live: apply to a scratch view of liveness by ordering records
    // so that the unfence comes first; the returning broker leads only partitions it was the
    // last ISR member of: offline ones, and those the fence above just took offline.
    const takenOffline: MetadataRecord[] = []
    for (const r of fenced) {
      if (r.type === 'partitionChange' && r.leader === -1 && r.isr?.includes(brokerId)) {
        takenOffline.push({ type: 'partitionChange', topicId: r.topicId, partition: r.partition, leader: brokerId, reason: `broker ${brokerId} returned` })
      }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: [...records, ...changesForReturningBroker(this.image, brokerId), ...takenOffline] }
  }

  /**
   * A broker's heartbeat keeps its session alive, and says which metadata offset its own image has
   * applied (-1: not said). Unknown or fenced brokers must register again.
   */
  heartbeat(brokerId: number, nowMs: number, metadataOffset = -1): boolean {
    if (metadataOffset >= 0) this.reportedOffsets.set(brokerId, metadataOffset)
    const broker = this.image.brokers.get(brokerId)
    if (!broker || broker.fenced) return false
    this.lastHeartbeatMs.set(brokerId, nowMs)
    return true
  }

  /** The metadata offset broker `brokerId` last reported applied (-1 before its first heartbeat). */
  reportedMetadataOffset(brokerId: number): number {
    return this.reportedOffsets.get(brokerId) ?? -1
  }

  /**
   * The clock moved: fences brokers whose session expired (their partitions elect new leaders and
   * drop them from the ISR), completes reassignments whose ISR allows it (one the ISR change that
   * allowed it did not complete: replayed before a restart, say), and runs preferred-leader
   * elections when they are due. One kind per tick: each is computed against the committed image.
   */
  tick(nowMs: number): CommandResult {
    const sessionTimeoutMs = Number(brokerConfig(this.image, 'broker.session.timeout.ms'))
    const records: MetadataRecord[] = []
    for (const broker of this.image.brokers.values()) {
      if (broker.fenced) continue
      const last = this.lastHeartbeatMs.get(broker.id) ?? nowMs
      if (nowMs - last > sessionTimeoutMs) {
        records.push(...this.fenceRecords(broker.id, `broker ${broker.id} session timed out`))
        // One broker per tick: elections are computed against the committed image, so a second
        // fence in the same batch would elect the first fenced broker's successor without knowing
        // that broker is being fenced too (test/sim/regressions.test.ts).
        // The next one is fenced on the next tick.
        break
      }
    }
    if (records.length === 0) records.push(...completionChanges(this.image))
    if (records.length === 0 && brokerConfig(this.image, 'auto.leader.rebalance.enable') === 'true') {
      const everyMs = Number(brokerConfig(this.image, 'leader.imbalance.check.interval.seconds')) * 1000
      if (nowMs - this.lastRebalanceMs >= everyMs) {
        this.lastRebalanceMs = nowMs
        records.push(...preferredLeaderChanges(this.image))
      }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, records }
  }

  /**
   * Decommissions a broker (Kafka's UnregisterBroker): fenced first if it is not (its leaderships
   * move as at a crash), then its registration is removed, so no election, placement or Metadata
   * answer can name it. The caller moves its replicas off first (`broker remove`).
   */
  unregisterBroker(brokerId: number): CommandResult {
    const broker = this.image.brokers.get(brokerId)
    if (!broker) return fail(ErrorCode.BROKER_ID_NOT_REGISTERED, `broker ${brokerId} is not registered`)
    this.lastHeartbeatMs.delete(brokerId)
    const fenced = broker.fenced ? [] : this.fenceRecords(brokerId, `broker ${brokerId} unregistered`)
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: [...fenced, { type: 'unregisterBroker', brokerId, brokerEpoch: broker.epoch }] }
  }

  /** Fences a broker at once (a crash the controller learns of, or the end of a controlled shutdown). */
  fenceBroker(brokerId: number, reason: string): CommandResult {
    const broker = this.image.brokers.get(brokerId)
    if (!broker) return fail(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${brokerId} is not registered`)
    if (broker.fenced) return { errorCode: ErrorCode.NONE, errorMessage: null, records: [] }
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: this.fenceRecords(brokerId, reason) }
  }

  private fenceRecords(brokerId: number, reason: string): MetadataRecord[] {
    const broker = this.image.brokers.get(brokerId)!
    // Elections must not pick the broker being fenced: partitionWithoutBroker excludes it.
    return [{ type: 'fenceBroker', brokerId, brokerEpoch: broker.epoch }, ...changesForFencedBroker(this.image, brokerId, reason)]
  }

  /**
   * A leader asks to change a partition's ISR (Kafka's AlterPartition). Refused when the leader or
   * its epoch is stale, or when the partition changed since the leader last saw it.
   */
  alterIsr(req: AlterIsrRequest): CommandResult {
    const p = this.image.topicsById.get(req.topicId)?.partitions[req.partition]
    if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'no such partition')
    if (p.leader !== req.brokerId || p.leaderEpoch !== req.leaderEpoch) {
      return fail(ErrorCode.FENCED_LEADER_EPOCH, `broker ${req.brokerId} at epoch ${req.leaderEpoch} does not lead (leader ${p.leader}, epoch ${p.leaderEpoch})`)
    }
    if (p.partitionEpoch !== req.partitionEpoch) {
      return fail(ErrorCode.INVALID_UPDATE_VERSION, `partition epoch ${req.partitionEpoch} is stale (now ${p.partitionEpoch})`)
    }
    if (!req.isr.includes(req.brokerId)) return fail(ErrorCode.INVALID_REQUEST, 'the ISR must include its leader')
    const added = req.isr.filter((id) => !p.isr.includes(id))
    for (const id of added) {
      if (!p.replicas.includes(id) || this.image.brokers.get(id)?.fenced !== false) {
        return fail(ErrorCode.INELIGIBLE_REPLICA, `broker ${id} cannot join the ISR (not a live replica)`)
      }
    }
    const isr = p.replicas.filter((id) => req.isr.includes(id))
    const reason = added.length > 0 ? `ISR expanded with ${added.join(',')}` : `ISR shrunk by ${p.isr.filter((id) => !isr.includes(id)).join(',')}`
    const change: PartitionChangeRecord = { type: 'partitionChange', topicId: p.topicId, partition: p.partition, isr, reason }
    // The replica a reassignment waited for joined the ISR: the move completes in the same commit,
    // as a second record (so that the ISR expansion is told as its own event).
    let completion: PartitionChangeRecord | null = null
    if (isReassigning(p)) {
      const after = clonePartition(p)
      applyPartitionChange(after, change)
      completion = completionChange(this.image, after)
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: completion ? [change, completion] : [change] }
  }

  /**
   * Many ISR changes in one commit, as Kafka's AlterPartition carries the changes of many
   * partitions: each is checked as alterIsr alone, so the caller sends at most one per partition
   * (a second would be checked against the partition epoch the first is about to change). The
   * value holds each request's own result (its records are in the batch's).
   */
  alterIsrs(reqs: readonly AlterIsrRequest[]): CommandResult<CommandResult[]> {
    const records: MetadataRecord[] = []
    const results = reqs.map((req) => {
      const result = this.alterIsr(req)
      records.push(...result.records)
      return result
    })
    return { errorCode: ErrorCode.NONE, errorMessage: null, records, value: results }
  }

  /**
   * A replica found its log corrupt (a batch that fails its CRC, data lost while closed): it
   * leaves the ISR and, if it led, a healthy ISR member leads, as KRaft handles a replica on an
   * offline log directory (KIP-858). Refused only when no other replica is live: then the damaged
   * replica is the only copy there is and stays where it is.
   */
  replicaCorrupt(req: { brokerId: number; topicId: string; partition: number; reason: string }): CommandResult {
    const p = this.image.topicsById.get(req.topicId)?.partitions[req.partition]
    if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'no such partition')
    if (p.leader !== req.brokerId && !p.isr.includes(req.brokerId)) return { errorCode: ErrorCode.NONE, errorMessage: null, records: [] }
    const isLive = (id: number): boolean => id !== req.brokerId && this.image.brokers.get(id)?.fenced === false
    if (!p.isr.some(isLive)) {
      // The damaged replica is the last ISR member: leading, it would serve a log known to lack
      // acknowledged records, and its followers would truncate theirs to match. A live replica
      // outside the ISR leads instead, as an unclean election (told as one): it may lack records
      // too, but the damaged one certainly does. (A daemon restart leaves only the last broker to
      // register in the ISR, so the others are usually complete.)
      const other = p.replicas.find(isLive)
      if (other === undefined) {
        return fail(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `no other live replica of partition ${p.partition} (ISR ${JSON.stringify(p.isr)})`)
      }
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        records: [{ type: 'partitionChange', topicId: p.topicId, partition: p.partition, leader: other, isr: [other], unclean: true, reason: req.reason }],
      }
    }
    const change = partitionWithoutBroker(this.image, p, req.brokerId, req.reason)
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: change ? [change] : [] }
  }

  /** Preferred-leader election for every partition, or those `only` selects. */
  electPreferredLeaders(only?: (p: PartitionInfo) => boolean): CommandResult {
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: preferredLeaderChanges(this.image, only) }
  }

  /**
   * A controlled shutdown: leadership moves to other ISR members and the broker leaves every ISR
   * before it is fenced, so clients see one clean move instead of a session timeout.
   */
  controlledShutdown(brokerId: number): CommandResult {
    return this.fenceBroker(brokerId, `broker ${brokerId} shut down`)
  }

  /** Moves a partition's leadership to another live ISR member (`sluice failover`). */
  failover(topicName: string, partition: number, to?: number): CommandResult {
    const p = this.image.topicsByName.get(topicName)?.partitions[partition]
    if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${topicName}:${partition}`)
    const change = failoverChange(this.image, p, to)
    if (typeof change === 'string') return fail(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, change)
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: [change] }
  }

  /**
   * AlterPartitionReassignments: starts, replaces or (replicas null) cancels the move of each
   * partition named (reassignment.ts). The command always succeeds; each partition has its own
   * error (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS).
   */
  alterPartitionReassignments(reqs: readonly ReassignmentRequest[]): CommandResult<ReassignmentResult[]> {
    const { records, results } = alterReassignments(this.image, reqs)
    return { errorCode: ErrorCode.NONE, errorMessage: null, records, value: results }
  }

  /** The reassignments in progress, of every partition or of those the filter names. */
  listPartitionReassignments(filter: ReassignmentFilter = null): OngoingReassignment[] {
    return listReassignments(this.image, filter)
  }

  /** A block of `count` producer ids for a broker to hand out (KIP-730 AllocateProducerIds); the value is its first id. */
  allocateProducerIds(count: number): CommandResult<number> {
    const id = this.image.nextProducerId
    return { errorCode: ErrorCode.NONE, errorMessage: null, records: [{ type: 'producerIds', nextProducerId: id + count }], value: id }
  }

  createTopic(req: CreateTopicRequest): CommandResult<CreatedTopic> {
    const nameError = validateTopicName(req.name)
    if (nameError) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError)
    if (this.image.topicsByName.has(req.name)) {
      return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${req.name}' already exists.`)
    }
    const configRecords: MetadataRecord[] = []
    for (const c of req.configs ?? []) {
      const def = TOPIC_CONFIGS.get(c.name)
      if (!def) return fail(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${c.name}`)
      if (c.value === null) continue
      const error = validateConfig(def, c.value)
      if (error) return fail(ErrorCode.INVALID_CONFIG, `Invalid value ${c.value} for configuration ${c.name}: ${error}`)
      configRecords.push({ type: 'config', resourceType: 'topic', resourceName: req.name, name: c.name, value: c.value })
    }

    const live = this.image.liveBrokers().map((b) => b.id)
    if (live.length === 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'no live brokers')
    const broker = this.image
    let assignment: number[][]
    if (req.assignments && req.assignments.length > 0) {
      if (req.numPartitions !== -1 || req.replicationFactor !== -1) {
        return fail(ErrorCode.INVALID_REQUEST, 'numPartitions and replicationFactor must be -1 when assignments are given')
      }
      const tooMany = checkTopicPartitions(broker, req.assignments.length)
      if (tooMany) return { ...tooMany, records: [] }
      const sorted = [...req.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex)
      assignment = []
      for (const [i, a] of sorted.entries()) {
        if (a.partitionIndex !== i) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partition indexes must be 0..n-1')
        const invalid = replicaListError(this.image, a.brokerIds)
        if (invalid) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${i}: ${invalid}`)
        assignment.push(a.brokerIds)
      }
    } else {
      const numPartitions = req.numPartitions === -1 ? Number(brokerConfig(broker, 'num.partitions')) : req.numPartitions
      if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
        return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be larger than 0, not ${numPartitions}.`)
      }
      // Before placement: a count in the millions must not allocate anything.
      const tooMany = checkTopicPartitions(broker, numPartitions)
      if (tooMany) return { ...tooMany, records: [] }
      let rf = req.replicationFactor
      if (rf === -1) rf = Math.min(Number(brokerConfig(broker, 'default.replication.factor')), live.length)
      if (!Number.isInteger(rf) || rf <= 0) {
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be larger than 0, not ${rf}.`)
      }
      if (rf > live.length) {
        return fail(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Replication factor: ${rf} larger than available brokers: ${live.length}.`,
        )
      }
      assignment = assignReplicas(live, numPartitions, rf, this.rng)
    }

    const overLimit = checkClusterPartitions(this.image, assignment)
    if (overLimit) return { ...overLimit, records: [] }

    const topicId = randomUuid(this.rng)
    const records: MetadataRecord[] = [{ type: 'topic', name: req.name, topicId }, ...configRecords, ...newPartitionRecords(topicId, 0, assignment, live)]
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      records,
      value: { topicId, numPartitions: assignment.length, replicationFactor: assignment[0]!.length },
    }
  }

  /**
   * Grows a topic to `count` partitions (CreatePartitions), as KRaft's controller does: the new
   * partitions get the replication factor of the existing ones, placed as topic creation places
   * replicas (continuing the topic's pattern from partition 0's first replica) or as `assignments`
   * say, and are written as the same `partition` records topic creation writes.
   */
  createPartitions(req: CreatePartitionsRequest): CommandResult<{ topicId: string; added: number }> {
    const topic = this.image.topicsByName.get(req.name)
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.')
    const existing = topic.partitions.length
    if (req.count === existing) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${existing} partition(s).`)
    if (req.count < existing) {
      return fail(ErrorCode.INVALID_PARTITIONS, `The topic ${req.name} currently has ${existing} partition(s); ${req.count} would not be an increase.`)
    }
    const additional = req.count - existing
    if (req.assignments && req.assignments.length !== additional) {
      return fail(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Attempted to add ${additional} additional partition(s), but only ${req.assignments.length} assignment(s) were specified.`,
      )
    }
    // Before placement: a count in the millions must not allocate anything.
    const tooMany = checkTopicPartitions(this.image, req.count)
    if (tooMany) return { ...tooMany, records: [] }
    const rf = topic.partitions[0]!.replicas.length
    const live = this.image.liveBrokers().map((b) => b.id)
    let assignment: number[][]
    if (req.assignments) {
      assignment = []
      for (const [i, brokerIds] of req.assignments.entries()) {
        const invalid = replicaListError(this.image, brokerIds)
        if (invalid) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, invalid)
        if (brokerIds.length !== rf) {
          return fail(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`,
          )
        }
        if (!brokerIds.some((id) => live.includes(id))) {
          return fail(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `All brokers specified in the manual partition assignment for partition ${existing + i} are fenced or in controlled shutdown.`,
          )
        }
        assignment.push(brokerIds)
      }
    } else {
      if (live.length === 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'All brokers are currently fenced.')
      if (rf > live.length) {
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${rf} larger than available brokers: ${live.length}.`)
      }
      // As Kafka's rack-unaware placement grows a topic: from partition 0's first (preferred)
      // replica, at the partition index the topic has reached, so the new partitions continue its spread.
      const startIndex = Math.max(0, live.findIndex((id) => id >= topic.partitions[0]!.replicas[0]!))
      assignment = assignReplicas(live, additional, rf, this.rng, { startIndex, firstPartition: existing })
    }
    const overLimit = checkClusterPartitions(this.image, assignment)
    if (overLimit) return { ...overLimit, records: [] }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      records: newPartitionRecords(topic.topicId, existing, assignment, live),
      value: { topicId: topic.topicId, added: additional },
    }
  }

  deleteTopic(nameOrId: { name?: string | null; topicId?: string | null }): CommandResult<{ name: string; topicId: string }> {
    const topic = nameOrId.name
      ? this.image.topicsByName.get(nameOrId.name)
      : nameOrId.topicId
        ? this.image.topicsById.get(nameOrId.topicId)
        : undefined
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic.')
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      records: [{ type: 'removeTopic', topicId: topic.topicId }],
      value: { name: topic.name, topicId: topic.topicId },
    }
  }

  /**
   * Sets (value), removes (null), appends to or subtracts from (list configs) configs of a topic or
   * of the brokers, each change applied to the value as of this command. With `replace`, every
   * explicit config not named is removed (AlterConfigs semantics); else only the named change
   * (IncrementalAlterConfigs).
   */
  alterConfigs(
    resourceType: 'topic' | 'broker',
    resourceName: string,
    changes: ConfigChange[],
    replace: boolean,
  ): CommandResult {
    const defs = resourceType === 'topic' ? TOPIC_CONFIGS : BROKER_CONFIGS
    let current: ReadonlyMap<string, string>
    if (resourceType === 'topic') {
      const topic = this.image.topicsByName.get(resourceName)
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resourceName} does not exist.`)
      current = topic.configs
    } else {
      current = this.image.brokerConfigs
    }
    const records: MetadataRecord[] = []
    if (resourceType === 'broker') {
      const readOnly = changes.filter((c) => {
        const def = BROKER_CONFIGS.get(c.name)
        return def !== undefined && !brokerConfigAlterable(def)
      })
      // Kafka's message (DynamicBrokerConfig.validateConfigs), a Scala Set's rendering included.
      if (readOnly.length > 0) return fail(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${readOnly.map((c) => c.name).join(', ')})`)
    }
    for (const c of changes) {
      const def = defs.get(c.name)
      if (!def) return fail(ErrorCode.INVALID_CONFIG, `Unknown ${resourceType} config name: ${c.name}`)
      let value = c.value
      if (c.op !== undefined && value !== null) {
        if (def.type !== 'list') {
          const op = c.op.toUpperCase()
          // Kafka's two messages: the controller's for topics, the broker's for broker configs.
          return fail(
            ErrorCode.INVALID_CONFIG,
            resourceType === 'topic' ? `Can't ${op} to key ${c.name} because its type is not LIST.` : `Config value ${c.op} is not allowed for config key: ${c.name}`,
          )
        }
        value = applyListOp(current.get(c.name) ?? def.default, value, c.op)
      }
      if (value !== null) {
        const error = validateConfig(def, value)
        if (error) return fail(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${c.name}: ${error}`)
      }
      records.push({ type: 'config', resourceType, resourceName, name: c.name, value })
    }
    if (replace) {
      const named = new Set(changes.map((c) => c.name))
      for (const name of current.keys()) {
        if (!named.has(name)) records.push({ type: 'config', resourceType, resourceName, name, value: null })
      }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, records }
  }
}
