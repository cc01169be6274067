/**
 * The offset APIs of the group coordinator (group-coordinator.ts): OffsetCommit, TxnOffsetCommit,
 * OffsetFetch and OffsetDelete over the shards it leads. Plain commits are committed once
 * replicated; transactional ones (KIP-98, KIP-447) are written as one transactional batch of the
 * producer and stay pending in the shard's OffsetStore until the transaction's marker.
 */
import type { Group } from '../cluster/classic-group.js'
import type { MetadataImage } from '../cluster/metadata.js'
import { ErrorCode } from '../protocol/errors.js'
import { splitTpKey, tpKey, type OffsetEntry, type OffsetsKey, type PlacedOffset } from './offset-store.js'
import type { CoordinatorLookup, Shard } from './group-coordinator.js'

const METADATA_MAX_BYTES = 4096

/** The producer of a transactional write to __consumer_offsets. */
export interface TxnProducer {
  producerId: number
  producerEpoch: number
}

export interface OffsetCommitRequest {
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

export type TxnOffsetCommitRequest = OffsetCommitRequest & TxnProducer

export type OffsetsTopics = { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[] }[]

export interface FetchedOffsets {
  errorCode: number
  topics: { name: string; partitions: { partitionIndex: number; entry: OffsetEntry | null; errorCode: number }[] }[]
}

/** What the offset APIs use of the coordinator. */
export interface CoordinatorAccess {
  lookup(groupId: string): CoordinatorLookup
  getOrCreate(shard: Shard, groupId: string): Group
  /** Appends with acks=all (transactional when `txn` is given); the client's error code and the batch's base offset. */
  write(shard: Shard, entries: { key: OffsetsKey; value: unknown }[], txn?: TxnProducer): Promise<{ errorCode: number; baseOffset: number }>
  image(): MetadataImage
  nowMs(): number
}

/**
 * OffsetCommit: checks the member and generation as Kafka does (a commit with generation -1 is
 * an admin or simple-consumer commit, allowed only while the group has no members), then
 * appends the offsets with acks=all and answers once they are on every ISR member.
 */
export async function commitOffsets(c: CoordinatorAccess, groupId: string, req: OffsetCommitRequest, topics: OffsetsTopics): Promise<Map<string, number>> {
  const all = (code: number): Map<string, number> => allCodes(topics, code)
  if (groupId === '') return all(ErrorCode.INVALID_GROUP_ID)
  const found = c.lookup(groupId)
  if ('errorCode' in found) return all(found.errorCode)
  const { shard } = found
  const group = shard.groups.get(groupId)
  // No group here: a commit of a generation comes from a group that is gone.
  if (!group && req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION)
  if (group) {
    const invalid = offsetCommitError(group, req, false)
    if (invalid !== ErrorCode.NONE) return all(invalid)
    // The member has its generation but not yet its assignment: it retries after its sync.
    if (group.state === 'CompletingRebalance') return all(ErrorCode.REBALANCE_IN_PROGRESS)
  }
  const { codes, entries } = offsetEntries(c, groupId, topics)
  if (entries.length === 0) return codes
  const { errorCode, baseOffset } = await c.write(shard, entries)
  entries.forEach((e, i) => {
    codes.set(tpKey(e.key.t, e.key.p), errorCode)
    if (errorCode === ErrorCode.NONE) shard.offsets.commit(groupId, e.key.t, e.key.p, e.value, baseOffset + i)
  })
  if (errorCode === ErrorCode.NONE && !shard.groups.has(groupId)) c.getOrCreate(shard, groupId)
  return codes
}

/**
 * TxnOffsetCommit (KIP-98, KIP-447): the offsets are written as one transactional batch of the
 * producer and stay pending (invisible to OffsetFetch) until the transaction's marker. A group
 * that does not exist yet is created empty, as Kafka does.
 */
export async function commitTxnOffsets(c: CoordinatorAccess, groupId: string, req: TxnOffsetCommitRequest, topics: OffsetsTopics): Promise<Map<string, number>> {
  const all = (code: number): Map<string, number> => allCodes(topics, code)
  if (groupId === '') return all(ErrorCode.INVALID_GROUP_ID)
  const found = c.lookup(groupId)
  if ('errorCode' in found) return all(found.errorCode)
  const { shard } = found
  const group = shard.groups.get(groupId) ?? c.getOrCreate(shard, groupId)
  const invalid = offsetCommitError(group, req, true)
  if (invalid !== ErrorCode.NONE) return all(invalid)
  const { codes, entries } = offsetEntries(c, groupId, topics)
  if (entries.length === 0) return codes
  // Pending from before the append, as Kafka's prepareTxnOffsetCommit: requireStable sees it.
  const staged: PlacedOffset[] = entries.map((e) => shard.offsets.stage(req.producerId, groupId, e.key.t, e.key.p, e.value))
  const { errorCode, baseOffset } = await c.write(shard, entries, req)
  entries.forEach((e, i) => {
    codes.set(tpKey(e.key.t, e.key.p), errorCode)
    if (errorCode === ErrorCode.NONE) staged[i]!.logOffset = baseOffset + i
    else shard.offsets.unstage(req.producerId, groupId, e.key.t, e.key.p, staged[i]!)
  })
  return codes
}

/** The offset records of a commit, and the codes of the partitions refused before writing. */
function offsetEntries(c: CoordinatorAccess, groupId: string, topics: OffsetsTopics): { codes: Map<string, number>; entries: { key: Extract<OffsetsKey, { k: 'o' }>; value: OffsetEntry }[] } {
  const codes = new Map<string, number>()
  const entries: { key: Extract<OffsetsKey, { k: 'o' }>; value: OffsetEntry }[] = []
  const image = c.image()
  const nowMs = c.nowMs()
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
  return { codes, entries }
}

/**
 * OffsetFetch: committed offsets (-1 when none); all of the group's when `topics` is null. With
 * `requireStable` a partition with offsets pending in a transaction answers
 * UNSTABLE_OFFSET_COMMIT (the client retries once the transaction ends), as Kafka.
 */
export function fetchOffsets(c: CoordinatorAccess, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean): FetchedOffsets {
  const found = c.lookup(groupId)
  if ('errorCode' in found) return { errorCode: found.errorCode, topics: [] }
  const store = found.shard.offsets
  const asked = topics ?? byTopic([...store.committedOf(groupId).keys()].map(splitTpKey))
  return {
    errorCode: ErrorCode.NONE,
    topics: asked.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) =>
        requireStable && store.hasPending(groupId, t.name, p)
          ? { partitionIndex: p, entry: null, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
          : { partitionIndex: p, entry: store.get(groupId, t.name, p), errorCode: ErrorCode.NONE },
      ),
    })),
  }
}

/** OffsetDelete: removes committed offsets of partitions the group is not consuming. */
export async function deleteOffsets(c: CoordinatorAccess, groupId: string, topics: { name: string; partitions: { partitionIndex: number }[] }[]): Promise<{ errorCode: number; codes: Map<string, number> }> {
  const codes = new Map<string, number>()
  const found = c.lookup(groupId)
  if ('errorCode' in found) return { errorCode: found.errorCode, codes }
  const { shard } = found
  const group = shard.groups.get(groupId)
  if (!shard.offsets.hasCommitted(groupId) && !group) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, codes }
  const entries: { key: Extract<OffsetsKey, { k: 'o' }>; value: null }[] = []
  for (const t of topics) {
    for (const p of t.partitions) {
      const key = tpKey(t.name, p.partitionIndex)
      if (group && !group.isEmpty && group.protocolType === 'consumer') {
        codes.set(key, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC)
        continue
      }
      codes.set(key, ErrorCode.NONE)
      if (shard.offsets.get(groupId, t.name, p.partitionIndex)) entries.push({ key: { k: 'o', g: groupId, t: t.name, p: p.partitionIndex }, value: null })
    }
  }
  if (entries.length > 0) {
    const { errorCode, baseOffset } = await c.write(shard, entries)
    entries.forEach((e, i) => {
      if (errorCode === ErrorCode.NONE) shard.offsets.commit(groupId, e.key.t, e.key.p, null, baseOffset + i)
      else codes.set(tpKey(e.key.t, e.key.p), errorCode)
    })
  }
  return { errorCode: ErrorCode.NONE, codes }
}

function allCodes(topics: OffsetsTopics, code: number): Map<string, number> {
  const codes = new Map<string, number>()
  for (const t of topics) for (const p of t.partitions) codes.set(tpKey(t.name, p.partitionIndex), code)
  return codes
}

function byTopic(tps: { topic: string; partition: number }[]): { name: string; partitionIndexes: number[] }[] {
  const topics = new Map<string, number[]>()
  for (const { topic, partition } of tps) topics.set(topic, [...(topics.get(topic) ?? []), partition])
  return [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
}

/**
 * Kafka's validateOffsetCommit: generation -1 on an empty group passes (an admin, a simple
 * consumer, a v0-2 transactional producer); a member, instance id or generation given must match
 * the group's (`Group.memberError`: FENCED_INSTANCE_ID for an instance id now held by another
 * member id). Otherwise a group with members takes plain commits only from its members, while a
 * transactional commit that names no member passes (TxnOffsetCommit v0-2 cannot name one).
 */
function offsetCommitError(group: Group, req: OffsetCommitRequest, transactional: boolean): number {
  if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE
  if (req.generationId < 0 && group.state === 'Empty') return ErrorCode.NONE
  if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
    const invalid = group.memberError(req.memberId, req.groupInstanceId)
    if (invalid !== ErrorCode.NONE) return invalid
    return req.generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION
  }
  return transactional || group.state === 'Empty' ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
}
