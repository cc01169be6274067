/**
 * A broker's group coordinator. Consumer offsets and group metadata live in the internal,
 * replicated topic `__consumer_offsets`; the coordinator of a group is the leader of the group's
 * partition of it (abs(Java hashCode of the group id) mod the partition count, as in Kafka). When
 * this broker becomes leader of such a partition it loads the groups from the log; when it loses
 * leadership it unloads them and clients find the new coordinator, where every committed offset is.
 *
 * Writes (offset commits, group metadata) are record batches appended with acks=all through the
 * broker's replica manager: an OffsetCommit is answered only once the commit is on every ISR
 * member. Keys and values are JSON (only sluice reads this topic).
 *
 * Transactions (KIP-98, KIP-447): a TxnOffsetCommit writes its offsets as one transactional batch
 * carrying the producer's id and epoch; they stay pending (offset-store.ts) until the transaction
 * coordinator's COMMIT or ABORT marker is replicated on this partition (`onTxnMarker`).
 */
import { Group, type GroupSnapshot, type JoinRequest, type JoinResponse, type SyncResponse } from '../cluster/classic-group.js'
import { brokerConfig } from '../cluster/configs.js'
import type { PartitionInfo } from '../cluster/metadata.js'
import { coordinatorPartitionFor } from '../cluster/coordinator-placement.js'
import { ErrorCode } from '../protocol/errors.js'
import { parseBatches, readBatchHeaders } from '../protocol/batch-layout.js'
import { encodeRecordBatch } from '../protocol/record-batch.js'
import type { Logger } from '../common/logger.js'
import { isStorageError } from '../storage/errors.js'
import { LOG_PASS_READ_BYTES } from '../storage/types.js'
import type { ClusterView } from './cluster-view.js'
import { ensureInternalTopic } from './internal-topics.js'
import type { Scheduler } from '../cluster/scheduler.js'
import type { Hosted, ReplicaManager } from './replica-manager.js'
import { OffsetStore, splitTpKey, type OffsetsKey } from './offset-store.js'
import {
  commitOffsets,
  commitTxnOffsets,
  deleteOffsets,
  fetchOffsets,
  type CoordinatorAccess,
  type FetchedOffsets,
  type OffsetCommitRequest,
  type OffsetsTopics,
  type TxnOffsetCommitRequest,
  type TxnProducer,
} from './offset-commits.js'

export const OFFSETS_TOPIC = '__consumer_offsets'

/** Creates __consumer_offsets on first use, as Kafka does; false when it could not be. */
export function ensureOffsetsTopic(cluster: ClusterView): Promise<boolean> {
  return ensureInternalTopic(cluster, OFFSETS_TOPIC, { partitions: 'offsets.topic.num.partitions', replicationFactor: 'offsets.topic.replication.factor' })
}
const TICK_MS = 100
const WRITE_TIMEOUT_MS = 5_000

/** The partition of __consumer_offsets that holds a group (see coordinator-placement.ts). */
export const offsetsPartitionFor = coordinatorPartitionFor

/** The groups of one __consumer_offsets partition this broker leads. */
export interface Shard {
  partition: number
  leaderEpoch: number
  loaded: boolean
  loading: Promise<void>
  groups: Map<string, Group>
  offsets: OffsetStore
}

export type CoordinatorLookup = { shard: Shard } | { errorCode: number }

/** How a write error of __consumer_offsets is told to clients, as Kafka maps them. */
function coordinatorError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.NONE:
      return ErrorCode.NONE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.LEADER_NOT_AVAILABLE:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE
    // A transactional write refused by the partition's producer state: the producer is told why.
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
    case ErrorCode.INVALID_TXN_STATE:
      return errorCode
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
  }
}

export interface GroupCoordinatorOptions {
  brokerId: number
  cluster: ClusterView
  scheduler: Scheduler
  log: Logger
  replicas: () => ReplicaManager | null
}

export class GroupCoordinator {
  private readonly shards = new Map<number, Shard>()
  private cancelTick: (() => void) | null = null
  private memberSeq = 0
  private readonly access: CoordinatorAccess = {
    lookup: (groupId) => this.lookup(groupId),
    getOrCreate: (shard, groupId) => this.getOrCreate(shard, groupId),
    write: (shard, entries, txn) => this.write(shard, entries, txn),
    image: () => this.opts.cluster.image,
    nowMs: () => this.opts.scheduler.nowMs(),
  }

  constructor(private readonly opts: GroupCoordinatorOptions) {}

  start(): void {
    const tick = (): void => {
      this.tick()
      this.cancelTick = this.opts.scheduler.setTimer(tick, TICK_MS)
    }
    this.cancelTick = this.opts.scheduler.setTimer(tick, TICK_MS)
  }

  stop(): void {
    this.cancelTick?.()
    this.cancelTick = null
    for (const shard of this.shards.values()) for (const g of shard.groups.values()) g.markDead(ErrorCode.NOT_COORDINATOR)
    this.shards.clear()
  }

  /** The replica manager says this broker now leads (or no longer leads) a partition. */
  onLeadership(h: Hosted, leading: boolean): void {
    const topic = this.opts.cluster.image.topicsById.get(h.topicId)
    if (topic?.name !== OFFSETS_TOPIC) return
    const existing = this.shards.get(h.partition)
    if (!leading) {
      if (existing) {
        for (const g of existing.groups.values()) g.markDead(ErrorCode.NOT_COORDINATOR)
        this.shards.delete(h.partition)
      }
      return
    }
    if (existing && existing.leaderEpoch === h.leaderEpoch) return
    if (existing) for (const g of existing.groups.values()) g.markDead(ErrorCode.NOT_COORDINATOR)
    const shard: Shard = { partition: h.partition, leaderEpoch: h.leaderEpoch, loaded: false, loading: Promise.resolve(), groups: new Map(), offsets: new OffsetStore() }
    this.shards.set(h.partition, shard)
    shard.loading = this.load(shard, h).then(
      () => {
        shard.loaded = true
      },
      (error: unknown) => {
        this.opts.log.error('loading groups failed', { broker: this.opts.brokerId, partition: h.partition, error: String(error) })
        if (this.shards.get(h.partition) === shard) this.shards.delete(h.partition)
        // A corrupt batch in __consumer_offsets: the replica recovers it and a healthy one coordinates.
        if (isStorageError(error, 'CORRUPT_BATCH')) this.opts.replicas()?.corruptionFound(h, error)
      },
    )
  }

  /**
   * Replays the partition's log into the shard. A batch that cannot be decoded is skipped with a
   * warning: one bad record must not leave every group of the partition without a coordinator.
   */
  private async load(shard: Shard, h: Hosted): Promise<void> {
    const log = h.log!
    let offset = log.logStartOffset
    const nowMs = this.opts.scheduler.nowMs()
    const snapshots = new Map<string, GroupSnapshot | null>()
    let skipped = 0
    while (offset < log.logEndOffset) {
      const batches = await log.read(offset, LOG_PASS_READ_BYTES, log.logEndOffset)
      if (batches.length === 0) break
      for (const bytes of batches) {
        for (const header of readBatchHeaders(bytes)) {
          if (header.lastOffset < offset) continue
          try {
            offset = shard.offsets.replayBatch(bytes, header, offset, snapshots)
          } catch (error) {
            skipped++
            this.opts.log.warn('skipped an unreadable batch of __consumer_offsets', { broker: this.opts.brokerId, partition: shard.partition, offset: header.baseOffset, error: String(error) })
            offset = header.lastOffset + 1
          }
        }
      }
    }
    for (const [groupId, snap] of snapshots) {
      if (snap && snap.members.length > 0) shard.groups.set(groupId, Group.restore(snap, this.groupOptions(), nowMs))
    }
    const groupsWithOffsets = shard.offsets.groupsWithOffsets().length
    const groupsWithPending = shard.offsets.groupsWithPending().length
    this.opts.log.info('loaded groups', { broker: this.opts.brokerId, partition: shard.partition, groups: shard.groups.size, groupsWithOffsets, groupsWithPending, skipped })
  }

  private groupOptions() {
    return {
      initialRebalanceDelayMs: Number(brokerConfig(this.opts.cluster.image, 'group.initial.rebalance.delay.ms')),
      newMemberId: (clientId: string) => `${clientId || 'member'}-${this.opts.brokerId}-${this.opts.scheduler.nowMs().toString(36)}-${(++this.memberSeq).toString(36)}`,
      onStable: (g: Group) => this.persistGroup(g),
    }
  }

  private numPartitions(): number | null {
    return this.opts.cluster.image.topicsByName.get(OFFSETS_TOPIC)?.partitions.length ?? null
  }

  /** The shard of a group here, or NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS. */
  private lookup(groupId: string): CoordinatorLookup {
    const n = this.numPartitions()
    if (n === null) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
    const shard = this.shards.get(offsetsPartitionFor(groupId, n))
    if (!shard) return { errorCode: ErrorCode.NOT_COORDINATOR }
    if (!shard.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }
    return { shard }
  }

  private getOrCreate(shard: Shard, groupId: string): Group {
    let g = shard.groups.get(groupId)
    if (!g || g.state === 'Dead') shard.groups.set(groupId, (g = new Group(groupId, this.groupOptions())))
    return g
  }

  // ---- membership --------------------------------------------------------------------------

  join(groupId: string, req: JoinRequest): Promise<JoinResponse> {
    const fail = (errorCode: number): JoinResponse => ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: req.memberId, members: [] })
    if (groupId === '') return Promise.resolve(fail(ErrorCode.INVALID_GROUP_ID))
    const cfg = this.opts.cluster.image
    const minMs = Number(brokerConfig(cfg, 'group.min.session.timeout.ms'))
    const maxMs = Number(brokerConfig(cfg, 'group.max.session.timeout.ms'))
    if (req.sessionTimeoutMs < minMs || req.sessionTimeoutMs > maxMs) return Promise.resolve(fail(ErrorCode.INVALID_SESSION_TIMEOUT))
    const found = this.lookup(groupId)
    if ('errorCode' in found) return Promise.resolve(fail(found.errorCode))
    const existing = found.shard.groups.get(groupId)
    if (req.memberId !== '' && (!existing || existing.state === 'Dead')) return Promise.resolve(fail(ErrorCode.UNKNOWN_MEMBER_ID))
    const group = this.getOrCreate(found.shard, groupId)
    return new Promise((resolve) => group.join(req, this.opts.scheduler.nowMs(), resolve))
  }

  sync(groupId: string, req: Parameters<Group['sync']>[0]): Promise<SyncResponse> {
    const fail = (errorCode: number): SyncResponse => ({ errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) })
    const found = this.lookup(groupId)
    if ('errorCode' in found) return Promise.resolve(fail(found.errorCode))
    const group = found.shard.groups.get(groupId)
    if (!group) return Promise.resolve(fail(ErrorCode.UNKNOWN_MEMBER_ID))
    return new Promise((resolve) => group.sync(req, this.opts.scheduler.nowMs(), resolve))
  }

  heartbeat(groupId: string, req: Parameters<Group['heartbeat']>[0]): number {
    const found = this.lookup(groupId)
    if ('errorCode' in found) return found.errorCode
    const group = found.shard.groups.get(groupId)
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID
    return group.heartbeat(req, this.opts.scheduler.nowMs())
  }

  leave(groupId: string, members: { memberId: string; groupInstanceId: string | null }[]): { errorCode: number; memberCodes: number[] } {
    const found = this.lookup(groupId)
    if ('errorCode' in found) return { errorCode: found.errorCode, memberCodes: members.map(() => found.errorCode) }
    const group = found.shard.groups.get(groupId)
    if (!group) return { errorCode: ErrorCode.NONE, memberCodes: members.map(() => ErrorCode.UNKNOWN_MEMBER_ID) }
    return { errorCode: ErrorCode.NONE, memberCodes: group.leave(members, this.opts.scheduler.nowMs()) }
  }

  private tick(): void {
    const nowMs = this.opts.scheduler.nowMs()
    for (const shard of this.shards.values()) {
      if (!shard.loaded) continue
      for (const [groupId, g] of shard.groups) {
        g.tick(nowMs)
        // An empty group with no offsets, committed or pending, is gone (Kafka marks it Dead).
        if (g.state === 'Empty' && !shard.offsets.hasCommitted(groupId) && !shard.offsets.hasPending(groupId)) shard.groups.delete(groupId)
      }
    }
  }

  // ---- persistence -------------------------------------------------------------------------

  /**
   * Appends one batch with acks=all; a transactional one carries the producer's id and epoch and
   * base sequence -1, as Kafka's coordinator writes it. Answers the client's error code and the
   * batch's base offset (the log order of its records).
   */
  private async write(shard: Shard, entries: { key: OffsetsKey; value: unknown }[], txn?: TxnProducer): Promise<{ errorCode: number; baseOffset: number }> {
    const replicas = this.opts.replicas()
    const p = this.opts.cluster.image.topicsByName.get(OFFSETS_TOPIC)?.partitions[shard.partition]
    if (!replicas || !p) return { errorCode: ErrorCode.NOT_COORDINATOR, baseOffset: -1 }
    if (txn && fencedHere(replicas, p, txn)) return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1 }
    const batch = encodeRecordBatch({
      baseTimestamp: this.opts.scheduler.nowMs(),
      records: entries.map((e) => ({ key: JSON.stringify(e.key), value: e.value === null ? null : JSON.stringify(e.value) })),
      ...(txn && { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: -1, transactional: true }),
    })
    const result = await replicas.append(OFFSETS_TOPIC, p, parseBatches(batch), -1, WRITE_TIMEOUT_MS)
    return { errorCode: coordinatorError(result.errorCode), baseOffset: result.baseOffset }
  }

  private persistGroup(g: Group): void {
    const n = this.numPartitions()
    if (n === null) return
    const shard = this.shards.get(offsetsPartitionFor(g.groupId, n))
    if (!shard) return
    const value = g.isEmpty ? null : g.snapshot()
    void this.write(shard, [{ key: { k: 'g', g: g.groupId }, value }]).then(({ errorCode: code }) => {
      if (code !== ErrorCode.NONE) this.opts.log.warn('storing group metadata failed', { group: g.groupId, errorCode: code })
    })
  }

  // ---- offsets (offset-commits.ts) ---------------------------------------------------------

  commitOffsets(groupId: string, req: OffsetCommitRequest, topics: OffsetsTopics): Promise<Map<string, number>> {
    return commitOffsets(this.access, groupId, req, topics)
  }

  commitTxnOffsets(groupId: string, req: TxnOffsetCommitRequest, topics: OffsetsTopics): Promise<Map<string, number>> {
    return commitTxnOffsets(this.access, groupId, req, topics)
  }

  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): FetchedOffsets {
    return fetchOffsets(this.access, groupId, topics, requireStable)
  }

  deleteOffsets(groupId: string, topics: { name: string; partitions: { partitionIndex: number }[] }[]): Promise<{ errorCode: number; codes: Map<string, number> }> {
    return deleteOffsets(this.access, groupId, topics)
  }

  /**
   * A COMMIT or ABORT marker of `producerId` is replicated on a partition this broker leads: for
   * __consumer_offsets, the producer's pending offsets there are committed or dropped. While the
   * shard is loading the loader applies the marker from the log (it was appended before this call).
   */
  onTxnMarker(h: Hosted, producerId: number, committed: boolean): void {
    if (this.opts.cluster.image.topicsById.get(h.topicId)?.name !== OFFSETS_TOPIC) return
    const shard = this.shards.get(h.partition)
    if (!shard?.loaded) return
    shard.offsets.completeTxn(producerId, committed)
  }

  // ---- admin -------------------------------------------------------------------------------

  /**
   * DescribeGroups: the group, and its state and protocol type as ListGroups reports them (one
   * answer for both). A group known only by its committed offsets (after a restart, or committed
   * by a tool without joining) is Empty, as Kafka loads it from __consumer_offsets; one with
   * neither members nor offsets is Dead (unknown).
   */
  describe(groupId: string): { errorCode: number; group: Group | null; state: string; protocolType: string } {
    const found = this.lookup(groupId)
    if ('errorCode' in found) return { errorCode: found.errorCode, group: null, state: 'Dead', protocolType: '' }
    return { errorCode: ErrorCode.NONE, group: found.shard.groups.get(groupId) ?? null, ...this.summary(found.shard, groupId) }
  }

  private summary(shard: Shard, groupId: string): { state: string; protocolType: string } {
    const g = shard.groups.get(groupId)
    if (g) return { state: g.state, protocolType: g.protocolType ?? 'consumer' }
    const known = shard.offsets.hasCommitted(groupId) || shard.offsets.hasPending(groupId)
    return known ? { state: 'Empty', protocolType: 'consumer' } : { state: 'Dead', protocolType: '' }
  }

  /** Groups this broker coordinates (with or without members). */
  list(): { groupId: string; protocolType: string; state: string }[] {
    const out: { groupId: string; protocolType: string; state: string }[] = []
    for (const shard of this.shards.values()) {
      if (!shard.loaded) continue
      const ids = new Set([...shard.groups.keys(), ...shard.offsets.groupsWithOffsets(), ...shard.offsets.groupsWithPending()])
      for (const id of ids) out.push({ groupId: id, ...this.summary(shard, id) })
    }
    return out.sort((a, b) => a.groupId.localeCompare(b.groupId))
  }

  /**
   * DeleteGroups: only a group with no members; its offsets and metadata are tombstoned, pending
   * transactional offsets included (a tombstone drops them, in memory and when loading), so a
   * later COMMIT marker brings none of them back.
   */
  async deleteGroup(groupId: string): Promise<number> {
    const found = this.lookup(groupId)
    if ('errorCode' in found) return found.errorCode
    const { shard } = found
    const group = shard.groups.get(groupId)
    const keys = shard.offsets.keysOf(groupId)
    if (!group && keys.length === 0) return ErrorCode.GROUP_ID_NOT_FOUND
    if (group && !group.isEmpty && group.state !== 'Dead') return ErrorCode.NON_EMPTY_GROUP
    const entries: { key: OffsetsKey; value: null }[] = [{ key: { k: 'g', g: groupId }, value: null }]
    for (const key of keys) {
      const { topic, partition } = splitTpKey(key)
      entries.push({ key: { k: 'o', g: groupId, t: topic, p: partition }, value: null })
    }
    const { errorCode } = await this.write(shard, entries)
    if (errorCode !== ErrorCode.NONE) return errorCode
    group?.markDead(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    shard.groups.delete(groupId)
    shard.offsets.deleteGroup(groupId)
    return ErrorCode.NONE
  }
}

/**
 * Kafka's checkProducerEpoch on the coordinator's transactional write: the partition's producer
 * state knows a newer epoch of the producer (the bumped epoch's ABORT marker fenced it), so a
 * zombie's offsets never become pending, to be committed by the new epoch's COMMIT. The append
 * path does not check batches without sequences (base sequence -1) itself.
 */
function fencedHere(replicas: ReplicaManager, p: PartitionInfo, txn: TxnProducer): boolean {
  const led = replicas.leaderLog(p)
  if ('errorCode' in led) return false // the append answers it
  const known = led.hosted.producers.describe().find((v) => v.producerId === txn.producerId)
  return known !== undefined && txn.producerEpoch < known.epoch
}
