/**
 * The offsets of the groups of one `__consumer_offsets` partition, as its coordinator holds them:
 * committed offsets, and the transactional ones still pending (KIP-98, KIP-447).
 *
 * A TxnOffsetCommit's offsets are pending per producer id until the transaction's marker reaches
 * this partition: COMMIT makes them committed, ABORT drops them. Each offset remembers where its
 * record lies in `__consumer_offsets`, because log order decides between a plain commit and a
 * transactional one of the same partition (Kafka's CommitRecordMetadataAndOffset.olderThan): a
 * transaction that commits after a newer plain commit does not overwrite it.
 *
 * The same rules apply when the coordinator loads a partition from its log (`replayBatch`):
 * transactional batches become pending, control batches complete their producer's pending
 * offsets, in log order, so a failover or restart finds committed what was committed and pending
 * what is still open. Records are JSON (only sluice reads this topic); control batches are binary
 * (control-batch.ts).
 */
import type { GroupSnapshot } from '../cluster/classic-group.js'
import type { BatchHeader } from '../protocol/batch-layout.js'
import { controlTypeOf } from '../protocol/control-batch.js'
import { decodeRecordBatch } from '../protocol/record-batch.js'

export interface OffsetEntry {
  offset: number
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
}

/** The key of a `__consumer_offsets` record: an offset ('o') or a group's metadata ('g'). */
export type OffsetsKey = { k: 'o'; g: string; t: string; p: number } | { k: 'g'; g: string }

/** An offset and the log offset of its record (NOT_APPENDED while its append is in flight). */
export interface PlacedOffset {
  entry: OffsetEntry
  logOffset: number
}

export const NOT_APPENDED = -1

export const tpKey = (topic: string, partition: number): string => `${partition}:${topic}`

export function splitTpKey(key: string): { topic: string; partition: number } {
  const i = key.indexOf(':')
  return { topic: key.slice(i + 1), partition: Number(key.slice(0, i)) }
}

type ByTp = Map<string, PlacedOffset>

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key)
  if (v === undefined) map.set(key, (v = make()))
  return v
}

export class OffsetStore {
  private readonly committed = new Map<string, ByTp>()
  /** producer id → group → pending offsets of its open transaction. */
  private readonly pending = new Map<number, Map<string, ByTp>>()

  /** The committed offset of a group's partition, or null. */
  get(groupId: string, topic: string, partition: number): OffsetEntry | null {
    return this.committed.get(groupId)?.get(tpKey(topic, partition))?.entry ?? null
  }

  /** Every committed offset of a group, keyed by tpKey. */
  committedOf(groupId: string): Map<string, OffsetEntry> {
    return new Map([...(this.committed.get(groupId) ?? [])].map(([key, placed]) => [key, placed.entry]))
  }

  /** Groups with committed offsets. */
  groupsWithOffsets(): string[] {
    return [...this.committed.keys()]
  }

  hasCommitted(groupId: string): boolean {
    return this.committed.has(groupId)
  }

  /** Some open transaction holds offsets of this group (of one of its partitions when given). */
  hasPending(groupId: string, topic?: string, partition?: number): boolean {
    for (const groups of this.pending.values()) {
      const offsets = groups.get(groupId)
      if (offsets && (topic === undefined || offsets.has(tpKey(topic, partition!)))) return true
    }
    return false
  }

  /** Groups with pending transactional offsets. */
  groupsWithPending(): string[] {
    const ids = new Set<string>()
    for (const groups of this.pending.values()) for (const id of groups.keys()) ids.add(id)
    return [...ids]
  }

  /**
   * A plain commit (or a tombstone: null) written at `logOffset`. A tombstone also drops the
   * partition's pending transactional offsets, as Kafka's removeOffsets does (OffsetDelete,
   * DeleteGroups).
   */
  commit(groupId: string, topic: string, partition: number, entry: OffsetEntry | null, logOffset: number): void {
    const key = tpKey(topic, partition)
    if (entry === null) {
      this.dropCommitted(groupId, key)
      for (const [producerId, groups] of this.pending) this.dropPending(producerId, groups, groupId, key)
      return
    }
    const offsets = getOrAdd(this.committed, groupId, (): ByTp => new Map())
    const current = offsets.get(key)
    if (!current || current.logOffset <= logOffset) offsets.set(key, { entry, logOffset })
  }

  /**
   * A transactional offset of `producerId`, pending until its marker; returned so the caller can
   * place it once appended (or `unstage` it when the append fails).
   */
  stage(producerId: number, groupId: string, topic: string, partition: number, entry: OffsetEntry, logOffset = NOT_APPENDED): PlacedOffset {
    const placed: PlacedOffset = { entry, logOffset }
    const groups = getOrAdd(this.pending, producerId, () => new Map<string, ByTp>())
    getOrAdd(groups, groupId, (): ByTp => new Map()).set(tpKey(topic, partition), placed)
    return placed
  }

  /** Removes a staged offset whose record was not written (unless a later stage replaced it). */
  unstage(producerId: number, groupId: string, topic: string, partition: number, placed: PlacedOffset): void {
    const groups = this.pending.get(producerId)
    const key = tpKey(topic, partition)
    if (groups?.get(groupId)?.get(key) === placed) this.dropPending(producerId, groups, groupId, key)
  }

  /**
   * The producer's transaction ended on this partition: COMMIT moves its pending offsets to
   * committed (unless a plain commit later in the log already replaced one), ABORT drops them.
   * Returns the groups whose offsets it touched.
   */
  completeTxn(producerId: number, committed: boolean): string[] {
    const groups = this.pending.get(producerId)
    if (!groups) return []
    this.pending.delete(producerId)
    if (committed) {
      for (const [groupId, offsets] of groups) {
        for (const [key, placed] of offsets) {
          // Not appended: its TxnOffsetCommit failed, so it was never part of the transaction.
          if (placed.logOffset === NOT_APPENDED) continue
          const { topic, partition } = splitTpKey(key)
          this.commit(groupId, topic, partition, placed.entry, placed.logOffset)
        }
      }
    }
    return [...groups.keys()]
  }

  /** Forgets a group's committed and pending offsets (DeleteGroups). */
  deleteGroup(groupId: string): void {
    this.committed.delete(groupId)
    for (const [producerId, groups] of this.pending) {
      groups.delete(groupId)
      if (groups.size === 0) this.pending.delete(producerId)
    }
  }

  /** The tpKeys of a group's committed and pending offsets (what a deletion must tombstone). */
  keysOf(groupId: string): string[] {
    const keys = new Set(this.committed.get(groupId)?.keys() ?? [])
    for (const groups of this.pending.values()) for (const key of groups.get(groupId)?.keys() ?? []) keys.add(key)
    return [...keys]
  }

  private dropCommitted(groupId: string, key: string): void {
    const offsets = this.committed.get(groupId)
    offsets?.delete(key)
    if (offsets && offsets.size === 0) this.committed.delete(groupId)
  }

  private dropPending(producerId: number, groups: Map<string, ByTp>, groupId: string, key: string): void {
    const offsets = groups.get(groupId)
    if (!offsets?.delete(key)) return
    if (offsets.size === 0) groups.delete(groupId)
    if (groups.size === 0) this.pending.delete(producerId)
  }

  // ---- loading from the log ------------------------------------------------------------------

  /**
   * Applies one batch of `__consumer_offsets` read back from the log: offsets go to the store
   * (pending for a transactional batch), group metadata to `snapshots` (the last one per group
   * wins), a transaction marker completes its producer's pending offsets. Records below
   * `fromOffset` were applied already. Throws when the batch cannot be decoded (the caller skips
   * it). Returns the offset after the batch.
   */
  replayBatch(bytes: Buffer, header: BatchHeader, fromOffset: number, snapshots: Map<string, GroupSnapshot | null>): number {
    if (header.isControl) {
      const type = controlTypeOf(bytes, header.start)
      if (type !== null) this.completeTxn(header.producerId, type === 'commit')
      return header.lastOffset + 1
    }
    const { records } = decodeRecordBatch(bytes, header.start)
    // Decode the whole batch before applying any of it: a bad record leaves the store as it was.
    const parsed = records
      .filter((r) => r.offset >= fromOffset && r.key !== null)
      .map((r) => ({ offset: r.offset, key: JSON.parse(r.key!.toString()) as OffsetsKey, value: r.value === null ? null : (JSON.parse(r.value.toString()) as unknown) }))
    for (const { offset, key, value } of parsed) {
      if (key.k === 'g') snapshots.set(key.g, value as GroupSnapshot | null)
      else if (!header.isTransactional) this.commit(key.g, key.t, key.p, value as OffsetEntry | null, offset)
      else if (value !== null) this.stage(header.producerId, key.g, key.t, key.p, value as OffsetEntry, offset)
      else {
        const groups = this.pending.get(header.producerId)
        if (groups) this.dropPending(header.producerId, groups, key.g, tpKey(key.t, key.p))
      }
    }
    return header.lastOffset + 1
  }
}
