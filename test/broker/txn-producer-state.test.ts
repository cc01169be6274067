/**
 * broker/producer-state and broker/txn-index with transactions: open transactions (the first
 * offset the LSO stays below), markers ending them, the aborted index, the producer-epoch and
 * coordinator-epoch rules, and a rebuild from a snapshot (after a restart or a truncation) that
 * puts open transactions and aborted entries back exactly.
 */
import { describe, expect, it } from 'vitest'
import { loadProducerSnapshot, ProducerStateTable, rebuildProducerState, saveProducerSnapshot } from '../../src/broker/producer-state.js'
import { AbortedTxnIndex } from '../../src/broker/txn-index.js'
import { parseBatches } from '../../src/protocol/batch-layout.js'
import { encodeControlBatch } from '../../src/protocol/control-batch.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { MemoryDisk, MemoryLogStore } from '../../src/storage/memory.js'
import type { PartitionLog } from '../../src/storage/types.js'

const TOPIC = 'topic-id-1'
const DAY_MS = 86_400_000
const T0 = 1_700_000_000_000

const txnBatch = (producerId: number, epoch: number, firstSeq: number, records = 2): Buffer =>
  encodeRecordBatch({
    records: Array.from({ length: records }, (_, i) => ({ value: `p${producerId}-${firstSeq + i}` })),
    baseTimestamp: T0,
    producerId,
    producerEpoch: epoch,
    baseSequence: firstSeq,
    transactional: true,
  })
const plainBatch = (): Buffer => encodeRecordBatch({ records: [{ value: 'plain' }], baseTimestamp: T0 })
const marker = (producerId: number, epoch: number, committed: boolean, coordinatorEpoch = 0): Buffer =>
  encodeControlBatch({ producerId, producerEpoch: epoch, committed, coordinatorEpoch, timestampMs: T0 })

async function openLog(disk: MemoryDisk) {
  const store = new MemoryLogStore(disk)
  await store.open()
  return { store, log: await store.partition(TOPIC, 0) }
}

/** Appends as leader and records what landed, as a follower replicating it would. */
async function append(log: PartitionLog, table: ProducerStateTable, batch: Buffer): Promise<number> {
  const parsed = parseBatches(batch)
  const info = await log.appendAsLeader(parsed, 0)
  table.recordStored(parsed)
  return info.baseOffset
}

describe('broker/producer-state: transactions', () => {
  it('a transactional batch without sequences (a TxnOffsetCommit) opens a transaction, checked for its epoch, sequences untouched', async () => {
    const { store, log } = await openLog(new MemoryDisk())
    const table = new ProducerStateTable()
    const offsets = encodeRecordBatch({ records: [{ key: 'g', value: 'offsets' }], baseTimestamp: T0, producerId: 9, producerEpoch: 3, baseSequence: -1, transactional: true })
    expect(table.checkUnsequenced(9, 3)).toEqual({ kind: 'append' })
    const at = await append(log, table, offsets)
    expect(table.firstUnstableOffset()).toBe(at)
    expect(table.describe()).toEqual([expect.objectContaining({ producerId: 9, epoch: 3, lastSequence: -1, currentTxnStartOffset: at })])
    expect(table.checkUnsequenced(9, 2)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH })
    await append(log, table, marker(9, 3, true))
    expect(table.firstUnstableOffset()).toBeNull()
    await store.close()
  })

  it('a transactional batch opens a transaction; COMMIT ends it, ABORT also indexes its range', async () => {
    const { store, log } = await openLog(new MemoryDisk())
    const table = new ProducerStateTable()
    await append(log, table, plainBatch()) // 0
    const first = await append(log, table, txnBatch(1, 0, 0)) // 1-2
    await append(log, table, txnBatch(2, 0, 0)) // 3-4
    await append(log, table, txnBatch(1, 0, 2)) // 5-6
    expect(first).toBe(1)
    expect(table.firstUnstableOffset()).toBe(1)
    const commit = await append(log, table, marker(1, 0, true)) // 7
    expect(commit).toBe(7)
    expect(table.firstUnstableOffset()).toBe(3)
    await append(log, table, marker(2, 0, false)) // 8
    expect(table.firstUnstableOffset()).toBeNull()
    expect(table.aborted.entries()).toEqual([{ producerId: 2, firstOffset: 3, lastOffset: 8 }])
    // An ABORT where the producer wrote nothing is indexed at the marker itself, as Kafka does.
    await append(log, table, marker(3, 0, false)) // 9
    expect(table.aborted.overlapping(9, 10)).toEqual([{ producerId: 3, firstOffset: 9, lastOffset: 9 }])
    expect(table.aborted.overlapping(0, 3)).toEqual([])
    expect(table.aborted.overlapping(0, 4)).toEqual([{ producerId: 2, firstOffset: 3, lastOffset: 8 }])
    expect(table.describe().find((p) => p.producerId === 1)).toMatchObject({ epoch: 0, lastSequence: 3, coordinatorEpoch: 0, currentTxnStartOffset: -1 })
    await store.close()
  })

  it('epochs: a marker of a newer epoch fences the old one and restarts the sequence', () => {
    const table = new ProducerStateTable()
    table.recordStored(parseBatches(stamped(txnBatch(1, 0, 0), 0)))
    expect(table.check(1, 0, 2, 3, true).kind).toBe('append')
    // Not transactional while its transaction is open.
    expect(table.check(1, 0, 2, 3, false)).toMatchObject({ errorCode: ErrorCode.INVALID_TXN_STATE })
    // The coordinator aborts with the bumped epoch (InitProducerId of a new instance).
    expect(table.checkMarker(1, 1, 5).kind).toBe('append')
    table.recordStored(parseBatches(stamped(marker(1, 1, false, 5), 2)))
    expect(table.check(1, 0, 2, 3, true)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH })
    expect(table.check(1, 1, 4, 5, true)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    expect(table.check(1, 1, 0, 1, true).kind).toBe('append')
    // A deposed coordinator's marker, and one of an older producer epoch.
    expect(table.checkMarker(1, 1, 4)).toMatchObject({ errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED })
    expect(table.checkMarker(1, 0, 6)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH })
    // A marker for a producer never seen here is written.
    expect(table.checkMarker(99, 0, 0).kind).toBe('append')
  })

  it('the leader knows an open transaction from the moment its first batch is issued (a lower bound of its offset)', async () => {
    const table = new ProducerStateTable()
    let land: (o: { baseOffset: number; lastOffset: number }) => void = () => undefined
    const offsets = new Promise<{ baseOffset: number; lastOffset: number }>((resolve) => (land = resolve))
    table.record(1, 0, { firstSeq: 0, lastSeq: 1, maxTimestamp: T0, offsets, stored: null }, true, 40)
    expect(table.firstUnstableOffset()).toBe(40)
    land({ baseOffset: 42, lastOffset: 43 })
    await offsets
    await Promise.resolve()
    expect(table.firstUnstableOffset()).toBe(42)
  })

  it('a snapshot between a transaction and its marker keeps it open; the rebuild replays the marker and the aborted entry', async () => {
    const disk = new MemoryDisk()
    const { store, log } = await openLog(disk)
    const table = new ProducerStateTable()
    table.aborted.attach(store.meta, TOPIC, 0)
    await append(log, table, txnBatch(1, 0, 0)) // 0-1
    await append(log, table, txnBatch(2, 0, 0)) // 2-3
    await append(log, table, marker(1, 0, false)) // 4
    await append(log, table, txnBatch(3, 0, 0)) // 5-6
    // The HWM is at 3: producer 1's marker (4) is above it, so the snapshot has it open from 0;
    // producer 2's batch ends at 3 (not below the offset), its transaction is open from 2; producer 3 is all above.
    log.setHighWatermark(3)
    const snapshot = table.snapshot(3, T0, DAY_MS)
    expect(snapshot.producers.map(([id, , , open]) => [id, open])).toEqual([
      [1, 0],
      [2, 2],
    ])
    await table.aborted.flushed()
    await saveProducerSnapshot(store.meta, TOPIC, 0, snapshot)
    await append(log, table, marker(2, 0, false)) // 7
    await append(log, table, marker(3, 0, true)) // 8
    await table.aborted.flushed()
    await store.close()

    // A restart: the index as persisted, the snapshot, and the log replayed from 3.
    const reopened = await openLog(disk)
    const rebuilt = new ProducerStateTable()
    rebuilt.aborted.attach(reopened.store.meta, TOPIC, 0)
    await rebuilt.aborted.load()
    await rebuildProducerState(reopened.log, rebuilt, await loadProducerSnapshot(reopened.store.meta, TOPIC, 0))
    expect(rebuilt.aborted.entries()).toEqual(table.aborted.entries())
    expect(rebuilt.aborted.entries()).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 4 },
      { producerId: 2, firstOffset: 2, lastOffset: 7 },
    ])
    expect(rebuilt.firstUnstableOffset()).toBeNull()

    // A truncation to 6 (a follower's divergence): marker 7 goes, producer 2's transaction is open
    // again from 2, and its entry leaves the index and the store.
    await reopened.log.truncateTo(6)
    await rebuildProducerState(reopened.log, rebuilt, await loadProducerSnapshot(reopened.store.meta, TOPIC, 0))
    expect(rebuilt.aborted.entries()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 4 }])
    expect(rebuilt.firstUnstableOffset()).toBe(2)
    await rebuilt.aborted.flushed()
    const stored = new AbortedTxnIndex()
    stored.attach(reopened.store.meta, TOPIC, 0)
    await stored.load()
    expect(stored.entries()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 4 }])
    await reopened.store.close()
  })

  it('a crash that lost aborted entries of markers above the snapshot is repaired by the rebuild', async () => {
    const disk = new MemoryDisk()
    const { store, log } = await openLog(disk)
    const table = new ProducerStateTable() // not attached: nothing of the index is persisted
    await append(log, table, txnBatch(1, 0, 0)) // 0-1
    log.setHighWatermark(2)
    await saveProducerSnapshot(store.meta, TOPIC, 0, table.snapshot(2, T0, DAY_MS))
    await append(log, table, marker(1, 0, false)) // 2
    await store.close()
    const reopened = await openLog(disk)
    const rebuilt = new ProducerStateTable()
    rebuilt.aborted.attach(reopened.store.meta, TOPIC, 0)
    await rebuilt.aborted.load()
    expect(rebuilt.aborted.size).toBe(0)
    await rebuildProducerState(reopened.log, rebuilt, await loadProducerSnapshot(reopened.store.meta, TOPIC, 0))
    expect(rebuilt.aborted.entries()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 2 }])
    await reopened.store.close()
  })

  it('a producer with an open transaction is never expired; entries below the log start are pruned', () => {
    const table = new ProducerStateTable()
    table.recordStored(parseBatches(stamped(txnBatch(1, 0, 0), 0)))
    table.snapshot(10, T0 + 2 * DAY_MS, DAY_MS)
    expect(table.firstUnstableOffset()).toBe(0)
    table.recordStored(parseBatches(stamped(marker(1, 0, false), 2)))
    expect(table.aborted.size).toBe(1)
    table.aborted.pruneBelow(2)
    expect(table.aborted.size).toBe(1)
    table.aborted.pruneBelow(3)
    expect(table.aborted.size).toBe(0)
    table.snapshot(10, T0 + 2 * DAY_MS, DAY_MS)
    expect(table.size).toBe(0)
  })
})

/** A copy of `batch` with its base offset stamped (as the leader does; the CRC does not cover it). */
function stamped(batch: Buffer, baseOffset: number): Buffer {
  const b = Buffer.from(batch)
  b.writeInt32BE(Math.floor(baseOffset / 2 ** 32), 0)
  b.writeUInt32BE(baseOffset >>> 0, 4)
  return b
}

describe('broker/producer-state: sequences around failures', () => {
  it('a new producer whose first append failed may retry it at the same sequence', async () => {
    const table = new ProducerStateTable()
    const failed = Promise.reject(new Error('the write failed'))
    failed.catch(() => undefined)
    table.record(5, 0, { firstSeq: 40, lastSeq: 41, maxTimestamp: T0, offsets: failed, stored: null })
    await Promise.resolve()
    await Promise.resolve()
    expect(table.check(5, 0, 40, 41).kind).toBe('append')
  })
})
