/**
 * broker/producer-state: the idempotent producers' sequences of a partition outlive the log tail
 * (snapshots persisted in the broker's store, replayed from on open and after a truncation), so a
 * retry from a producer that last wrote long ago is still recognised after a restart.
 */
import { crc32c } from '@node-rs/crc32'
import { describe, expect, it } from 'vitest'
import {
  loadProducerSnapshot,
  ProducerStateTable,
  rebuildProducerState,
  saveProducerSnapshot,
} from '../../src/broker/producer-state.js'
import { parseBatches } from '../../src/protocol/batch-layout.js'
import { MemoryDisk, MemoryLogStore } from '../../src/storage/memory.js'
import { makeBatch } from '../storage/batches.js'

const TOPIC = 'topic-id-1'
const DAY_MS = 86_400_000

/** A batch of `records` records of an idempotent producer (or of none: producerId -1). */
function batch(records: number, producerId = -1, firstSeq = -1, timestampMs = 1_700_000_000_000): Buffer {
  const buf = makeBatch({ records, baseTimestamp: timestampMs })
  buf.writeInt32BE(Math.floor(producerId / 2 ** 32), 43)
  buf.writeUInt32BE(producerId >>> 0, 47)
  buf.writeInt16BE(producerId < 0 ? -1 : 0, 51)
  buf.writeInt32BE(firstSeq, 53)
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17)
  return buf
}

async function openLog(disk: MemoryDisk) {
  const store = new MemoryLogStore(disk)
  await store.open()
  return { store, log: await store.partition(TOPIC, 0) }
}

describe('broker/producer-state', () => {
  it('a producer whose last batch is far behind the log end is still known after a restart (snapshot)', async () => {
    const disk = new MemoryDisk()
    const { store, log } = await openLog(disk)
    const table = new ProducerStateTable()
    await log.appendAsLeader(batch(3, 42, 0), 0)
    table.recordStored(parseBatches((await log.read(0, 1 << 20, log.logEndOffset))[0]!))
    // Other producers write 200,000 records after it: beyond the tail a rebuild reads without a snapshot.
    for (let i = 0; i < 20; i++) await log.appendAsLeader(batch(10_000), 0)
    log.setHighWatermark(log.logEndOffset)
    await saveProducerSnapshot(store.meta, TOPIC, 0, table.snapshot(log.highWatermark, 1_700_000_000_000, DAY_MS))
    await store.close()

    const reopened = await openLog(disk)
    const snapshot = await loadProducerSnapshot(reopened.store.meta, TOPIC, 0)
    const rebuilt = new ProducerStateTable()
    await rebuildProducerState(reopened.log, rebuilt, snapshot)
    const retry = rebuilt.check(42, 0, 0, 2)
    expect(retry.kind).toBe('duplicate')
    if (retry.kind === 'duplicate') expect(await retry.batch.offsets).toEqual({ baseOffset: 0, lastOffset: 2 })
    expect(rebuilt.check(42, 0, 3, 5).kind).toBe('append')
    expect(rebuilt.check(42, 0, 7, 7).kind).toBe('error')

    // Without the snapshot the producer is unknown, and its retry would be stored again.
    const fromTail = new ProducerStateTable()
    await rebuildProducerState(reopened.log, fromTail, null)
    expect(fromTail.check(42, 0, 0, 2).kind).toBe('append')
    await reopened.store.close()
  })

  it('replays the log written after the snapshot, from the batch holding its offset', async () => {
    const disk = new MemoryDisk()
    const { store, log } = await openLog(disk)
    const table = new ProducerStateTable()
    await log.appendAsLeader(batch(2, 7, 0), 0)
    table.recordStored(parseBatches((await log.read(0, 1 << 20, log.logEndOffset))[0]!))
    log.setHighWatermark(2)
    const snapshot = table.snapshot(2, 1_700_000_000_000, DAY_MS)
    await log.appendAsLeader(batch(2, 7, 2), 0)
    await log.appendAsLeader(batch(1, 8, 0), 0)
    const rebuilt = new ProducerStateTable()
    await rebuildProducerState(log, rebuilt, snapshot)
    expect(rebuilt.check(7, 0, 0, 1).kind).toBe('duplicate')
    expect(rebuilt.check(7, 0, 2, 3).kind).toBe('duplicate')
    expect(rebuilt.check(8, 0, 0, 0).kind).toBe('duplicate')
    expect(rebuilt.check(7, 0, 4, 4).kind).toBe('append')
    await store.close()
  })

  it('a snapshot keeps only batches below its offset, and forgets producers past producer.id.expiration.ms', async () => {
    const table = new ProducerStateTable()
    table.recordStored(parseBatches(batch(1, 1, 0, 1_000)))
    const stamped = batch(1, 2, 0, 5_000)
    stamped.writeInt32BE(0, 0)
    stamped.writeUInt32BE(10, 4) // base offset 10
    table.recordStored(parseBatches(stamped))
    const snapshot = table.snapshot(5, 1_000 + DAY_MS + 1, DAY_MS)
    // Producer 1 wrote more than a day before: gone. Producer 2's batch is at 10, past the offset.
    expect(snapshot.producers).toEqual([])
    expect(table.check(1, 0, 5, 5).kind).toBe('append')
    expect(table.changedSinceSnapshot).toBe(false)
    const later = table.snapshot(11, 5_000, DAY_MS)
    expect(later.producers).toEqual([[2, 0, [[0, 0, 10, 10, 5_000]], -1, -1, 5_000]])
  })
})
