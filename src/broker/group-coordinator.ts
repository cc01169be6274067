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
 */
import { Group, type GroupSnapshot, type JoinRequest, type JoinResponse, type SyncResponse } from '../cluster/classic-group.js'
import { brokerConfig } from '../cluster/configs.js'
import { ErrorCode } from '../protocol/errors.js'
import { parseBatches } from '../protocol/batch-layout.js'
import { decodeRecordBatches, encodeRecordBatch } from '../protocol/record-batch.js'
import type { Logger } from '../common/logger.js'
import { isStorageError } from '../storage/errors.js'
import type { ClusterView } from './cluster-view.js'
import type { Scheduler } from '../cluster/scheduler.js'
import type { Hosted, ReplicaManager } from './replica-manager.js'

export const OFFSETS_TOPIC = '__consumer_offsets'
const TICK_MS = 100
const WRITE_TIMEOUT_MS = 5_000
const METADATA_MAX_BYTES = 4096

/** Java's String.hashCode over UTF-16 code units, as Kafka uses to place groups. */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

export function offsetsPartitionFor(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId)
  // Kafka's Utils.abs: the absolute value, with Integer.MIN_VALUE mapped to 0.
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions
}

export interface OffsetEntry {
  offset: number
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
}

interface Shard {
  partition: number
  leaderEpoch: number
  loaded: boolean
  loading: Promise<void>
  groups: Map<string, Group>
  offsets: Map<string, Map<string, OffsetEntry>>
}

type CoordinatorLookup = { shard: Shard } | { errorCode: number }

type KeyJson = { k: 'o'; g: string; t: string; p: number } | { k: 'g'; g: string }

const tpKey = (topic: string, partition: number): string => `${partition}:${topic}`

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
    const shard: Shard = { partition: h.partition, leaderEpoch: h.leaderEpoch, loaded: false, loading: Promise.resolve(), groups: new Map(), offsets: new Map() }
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

  private async load(shard: Shard, h: Hosted): Promise<void> {
    const log = h.log!
    let offset = log.logStartOffset
    const nowMs = this.opts.scheduler.nowMs()
    const snapshots = new Map<string, GroupSnapshot | null>()
    while (offset < log.logEndOffset) {
      const batches = await log.read(offset, 8 * 1024 * 1024, log.logEndOffset)
      if (batches.length === 0) break
      for (const b of batches) {
        for (const { records } of decodeRecordBatches(b)) {
          for (const r of records) {
            if (r.offset < offset || !r.key) continue
            const key = JSON.parse(r.key.toString()) as KeyJson
            const value = r.value === null ? null : (JSON.parse(r.value.toString()) as unknown)
            if (key.k === 'o') this.applyOffset(shard, key.g, key.t, key.p, value as OffsetEntry | null)
            else snapshots.set(key.g, value as GroupSnapshot | null)
            offset = r.offset + 1
          }
        }
      }
    }
    for (const [groupId, snap] of snapshots) {
      if (snap && snap.members.length > 0) shard.groups.set(groupId, Group.restore(snap, this.groupOptions(), nowMs))
    }
    this.opts.log.info('loaded groups', { broker: this.opts.brokerId, partition: shard.partition, groups: shard.groups.size, groupsWithOffsets: shard.offsets.size })
  }

  private applyOffset(shard: Shard, groupId: string, topic: string, partition: number, entry: OffsetEntry | null): void {
    let offsets = shard.offsets.get(groupId)
    if (entry === null) {
      offsets?.delete(tpKey(topic, partition))
      if (offsets && offsets.size === 0) shard.offsets.delete(groupId)
      return
    }
    if (!offsets) shard.offsets.set(groupId, (offsets = new Map()))
    offsets.set(tpKey(topic, partition), entry)
  }

  private groupOptions() {
    return {
      initialRebalanceDelayMs: Number(brokerConfig(this.opts.cluster.image.brokerConfigs, 'group.initial.rebalance.delay.ms')),
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
    const cfg = this.opts.cluster.image.brokerConfigs
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
        // An empty group with no committed offsets is gone (Kafka marks it Dead).
        if (g.state === 'Empty' && !shard.offsets.has(groupId)) shard.groups.delete(groupId)
      }
    }
  }

  // ---- persistence -------------------------------------------------------------------------

  private async write(shard: Shard, entries: { key: KeyJson; value: unknown }[]): Promise<number> {
    const replicas = this.opts.replicas()
    const p = this.opts.cluster.image.topicsByName.get(OFFSETS_TOPIC)?.partitions[shard.partition]
    if (!replicas || !p) return ErrorCode.NOT_COORDINATOR
    const batch = encodeRecordBatch({
      baseTimestamp: this.opts.scheduler.nowMs(),
      records: entries.map((e) => ({ key: JSON.stringify(e.key), value: e.value === null ? null : JSON.stringify(e.value) })),
    })
    const result = await replicas.append(OFFSETS_TOPIC, p, parseBatches(batch), -1, WRITE_TIMEOUT_MS)
    return coordinatorError(result.errorCode)
  }

  private persistGroup(g: Group): void {
    const n = this.numPartitions()
    if (n === null) return
    const shard = this.shards.get(offsetsPartitionFor(g.groupId, n))
    if (!shard) return
    const value = g.isEmpty ? null : g.snapshot()
    void this.write(shard, [{ key: { k: 'g', g: g.groupId }, value }]).then((code) => {
      if (code !== ErrorCode.NONE) this.opts.log.warn('storing group metadata failed', { group: g.groupId, errorCode: code })
    })
  }

  // ---- offsets -----------------------------------------------------------------------------

  /**
   * OffsetCommit: checks the member and generation as Kafka does (a commit with generation -1 is
   * an admin or simple-consumer commit, allowed only while the group has no members), then
   * appends the offsets with acks=all and answers once they are on every ISR member.
   */
  async commitOffsets(
    groupId: string,
    req: { generationId: number; memberId: string; groupInstanceId: string | null },
    topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[] }[],
  ): Promise<Map<string, number>> {
    const codes = new Map<string, number>()
    const all = (code: number): Map<string, number> => {
      for (const t of topics) for (const p of t.partitions) codes.set(tpKey(t.name, p.partitionIndex), code)
      return codes
    }
    if (groupId === '') return all(ErrorCode.INVALID_GROUP_ID)
    const found = this.lookup(groupId)
    if ('errorCode' in found) return all(found.errorCode)
    const { shard } = found
    const group = shard.groups.get(groupId)
    if (group && group.state === 'Dead') return all(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (!group || group.isEmpty) {
      if (req.generationId >= 0) return all(group ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.ILLEGAL_GENERATION)
    } else if (req.generationId < 0 && req.memberId === '') {
      return all(ErrorCode.UNKNOWN_MEMBER_ID)
    } else {
      if (!group.members.has(req.memberId)) return all(ErrorCode.UNKNOWN_MEMBER_ID)
      if (req.generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION)
      if (group.state === 'CompletingRebalance') return all(ErrorCode.REBALANCE_IN_PROGRESS)
    }

    const image = this.opts.cluster.image
    const entries: { key: KeyJson; value: OffsetEntry }[] = []
    const nowMs = this.opts.scheduler.nowMs()
    for (const t of topics) {
      const topic = image.topicsByName.get(t.name)
      for (const p of t.partitions) {
        const key = tpKey(t.name, p.partitionIndex)
        if (!topic || !topic.partitions[p.partitionIndex]) codes.set(key, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        else if ((p.committedMetadata ?? '').length > METADATA_MAX_BYTES) codes.set(key, ErrorCode.OFFSET_METADATA_TOO_LARGE)
        else {
          entries.push({
            key: { k: 'o', g: groupId, t: t.name, p: p.partitionIndex },
            value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '', commitTimestamp: nowMs },
          })
        }
      }
    }
    if (entries.length === 0) return codes
    const code = await this.write(shard, entries)
    for (const e of entries) {
      const key = e.key as Extract<KeyJson, { k: 'o' }>
      codes.set(tpKey(key.t, key.p), code)
      if (code === ErrorCode.NONE) this.applyOffset(shard, groupId, key.t, key.p, e.value)
    }
    if (code === ErrorCode.NONE && !shard.groups.has(groupId)) this.getOrCreate(shard, groupId)
    return codes
  }

  /** OffsetFetch: committed offsets (-1 when none); all of the group's when `topics` is null. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): { errorCode: number; topics: { name: string; partitions: { partitionIndex: number; entry: OffsetEntry | null }[] }[] } {
    const found = this.lookup(groupId)
    if ('errorCode' in found) return { errorCode: found.errorCode, topics: [] }
    const offsets = found.shard.offsets.get(groupId) ?? new Map<string, OffsetEntry>()
    if (topics === null) {
      const byTopic = new Map<string, { partitionIndex: number; entry: OffsetEntry | null }[]>()
      for (const [key, entry] of offsets) {
        const i = key.indexOf(':')
        const partition = Number(key.slice(0, i))
        const topic = key.slice(i + 1)
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionIndex: partition, entry }])
      }
      return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, entry: offsets.get(tpKey(t.name, p)) ?? null })),
      })),
    }
  }

  /** OffsetDelete: removes committed offsets of partitions the group is not consuming. */
  async deleteOffsets(groupId: string, topics: { name: string; partitions: { partitionIndex: number }[] }[]): Promise<{ errorCode: number; codes: Map<string, number> }> {
    const codes = new Map<string, number>()
    const found = this.lookup(groupId)
    if ('errorCode' in found) return { errorCode: found.errorCode, codes }
    const group = found.shard.groups.get(groupId)
    const offsets = found.shard.offsets.get(groupId)
    if (!offsets && !group) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, codes }
    const entries: { key: KeyJson; value: null }[] = []
    for (const t of topics) {
      for (const p of t.partitions) {
        const key = tpKey(t.name, p.partitionIndex)
        if (group && !group.isEmpty && group.protocolType === 'consumer') {
          codes.set(key, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC)
          continue
        }
        codes.set(key, ErrorCode.NONE)
        if (offsets?.has(key)) entries.push({ key: { k: 'o', g: groupId, t: t.name, p: p.partitionIndex }, value: null })
      }
    }
    if (entries.length > 0) {
      const code = await this.write(found.shard, entries)
      for (const e of entries) {
        const key = e.key as Extract<KeyJson, { k: 'o' }>
        if (code === ErrorCode.NONE) this.applyOffset(found.shard, groupId, key.t, key.p, null)
        else codes.set(tpKey(key.t, key.p), code)
      }
    }
    return { errorCode: ErrorCode.NONE, codes }
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
    return shard.offsets.has(groupId) ? { state: 'Empty', protocolType: 'consumer' } : { state: 'Dead', protocolType: '' }
  }

  /** Groups this broker coordinates (with or without members). */
  list(): { groupId: string; protocolType: string; state: string }[] {
    const out: { groupId: string; protocolType: string; state: string }[] = []
    for (const shard of this.shards.values()) {
      if (!shard.loaded) continue
      const ids = new Set([...shard.groups.keys(), ...shard.offsets.keys()])
      for (const id of ids) out.push({ groupId: id, ...this.summary(shard, id) })
    }
    return out.sort((a, b) => a.groupId.localeCompare(b.groupId))
  }

  /** DeleteGroups: only a group with no members; its offsets and metadata are tombstoned. */
  async deleteGroup(groupId: string): Promise<number> {
    const found = this.lookup(groupId)
    if ('errorCode' in found) return found.errorCode
    const { shard } = found
    const group = shard.groups.get(groupId)
    const offsets = shard.offsets.get(groupId)
    if (!group && !offsets) return ErrorCode.GROUP_ID_NOT_FOUND
    if (group && !group.isEmpty && group.state !== 'Dead') return ErrorCode.NON_EMPTY_GROUP
    const entries: { key: KeyJson; value: null }[] = [{ key: { k: 'g', g: groupId }, value: null }]
    for (const key of offsets?.keys() ?? []) {
      const i = key.indexOf(':')
      entries.push({ key: { k: 'o', g: groupId, t: key.slice(i + 1), p: Number(key.slice(0, i)) }, value: null })
    }
    const code = await this.write(shard, entries)
    if (code !== ErrorCode.NONE) return code
    group?.markDead(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    shard.groups.delete(groupId)
    shard.offsets.delete(groupId)
    return ErrorCode.NONE
  }
}
