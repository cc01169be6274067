/**
 * PartitionLog.compact (cleanup.policy=compact), run by every store (memory.test.ts, leveldb.test.ts).
 * Batches here are real RecordBatch v2 with records, since the cleaner decodes them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { Compression } from '../../src/protocol/batch-layout.js'
import type { LogStore, PartitionLog } from '../../src/storage/types.js'
import type { MakeHarness, StoreHarness } from './conformance.js'

const TOPIC = 'CCCCCCCCCCCCCCCCCCCCCC'
const T0 = 1_000_000

/** One batch of [key, value] records (null value = tombstone), record i at timestamp ts + i. */
function batch(records: [string, string | null][], ts = T0, compression: number = Compression.NONE): Buffer {
  return encodeRecordBatch({
    baseTimestamp: ts,
    compression,
    records: records.map(([key, value], i) => ({ key, value, timestampDelta: i, headers: [{ key: 'h', value: Buffer.from(key) }] })),
  })
}

/** Every record of the log as offset:key=value (value '-' for a tombstone), checking each CRC. */
async function contents(log: PartitionLog): Promise<string[]> {
  const out: string[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const batches = await log.read(offset, 1 << 20, log.logEndOffset)
    if (batches.length === 0) break
    for (const bytes of batches) {
      const { header, records } = decodeRecordBatch(bytes)
      for (const r of records) out.push(`${r.offset}:${r.key!.toString()}=${r.value === null ? '-' : r.value.toString()}`)
      offset = header.lastOffset + 1
    }
  }
  return out
}

export function runCompactionConformance(name: string, makeHarness: MakeHarness): void {
  describe(`PartitionLog.compact: ${name}`, () => {
    let harness: StoreHarness
    let store: LogStore

    beforeEach(async () => {
      harness = await makeHarness()
      store = await harness.open()
    })
    afterEach(async () => {
      await store.close()
      await harness.cleanup()
    })

    const fill = async (): Promise<PartitionLog> => {
      const log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(batch([['a', 'a1'], ['b', 'b1'], ['c', 'c1']]), 0) // 0..2
      await log.appendAsLeader(batch([['a', 'a2'], ['d', 'd1']], T0, Compression.GZIP), 0) // 3..4
      await log.appendAsLeader(batch([['b', null], ['c', 'c2']], T0 + 100), 0) // 5..6
      await log.appendAsLeader(batch([['a', 'a3']]), 0) // 7: the active batch
      return log
    }

    it('keeps the last record per key below the HWM, never the last batch, offsets unchanged', async () => {
      const log = await fill()
      log.setHighWatermark(6) // batch 5..6 straddles the HWM: not cleanable
      let result = await log.compact({ nowMs: T0, deleteRetentionMs: 1000 })
      expect(result).toMatchObject({ batchesRewritten: 1, batchesRemoved: 0, recordsRemoved: 1 })
      expect(await contents(log)).toEqual(['1:b=b1', '2:c=c1', '3:a=a2', '4:d=d1', '5:b=-', '6:c=c2', '7:a=a3'])

      log.setHighWatermark(8)
      result = await log.compact({ nowMs: T0, deleteRetentionMs: 1000 })
      // b and c superseded by 5 and 6; a3 sits in the active batch, so a2 stays (Kafka: same).
      expect(result).toMatchObject({ batchesRemoved: 1, recordsRemoved: 2, tombstonesKept: 1 })
      expect(await contents(log)).toEqual(['3:a=a2', '4:d=d1', '5:b=-', '6:c=c2', '7:a=a3'])
      expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([0, 8, 8])
      // The gzip batch was rebuilt gzip with its header offsets kept.
      const [gz] = await log.read(3, 1, 5)
      expect(decodeRecordBatch(gz!).header).toMatchObject({ baseOffset: 3, lastOffsetDelta: 1, compression: Compression.GZIP })

      // Nothing new: skipped. Once delete.retention.ms passed, the tombstone goes too.
      result = await log.compact({ nowMs: T0 + 100 + 1000, deleteRetentionMs: 1000 })
      expect(result.recordsRemoved).toBe(0)
      result = await log.compact({ nowMs: T0 + 100 + 1001, deleteRetentionMs: 1000 })
      expect(result).toMatchObject({ recordsRemoved: 1, tombstonesKept: 0 })
      expect(await contents(log)).toEqual(['3:a=a2', '4:d=d1', '6:c=c2', '7:a=a3'])
      // A read from an offset in a gap gets the batch holding the next records.
      expect(decodeRecordBatch((await log.read(5, 1, 8))[0]!).header.baseOffset).toBe(5)
      expect(decodeRecordBatch((await log.read(0, 1, 8))[0]!).header.baseOffset).toBe(3)

      const sizeBefore = log.sizeBytes
      const batchesBefore = log.batchCount
      store = await reopen()
      const again = await store.partition(TOPIC, 0)
      expect(await contents(again)).toEqual(['3:a=a2', '4:d=d1', '6:c=c2', '7:a=a3'])
      expect([again.sizeBytes, again.batchCount, again.logEndOffset]).toEqual([sizeBefore, batchesBefore, 8])
      // Appends continue after the LEO, and a follower's copy accepts the gaps.
      expect((await again.appendAsLeader(batch([['e', 'e1']]), 0)).baseOffset).toBe(8)
    })

    it('keeps a tombstone while a batch kept whole before it holds its key (a transaction, a codec not decoded here)', async () => {
      const log = await store.partition(TOPIC, 0)
      const txn = encodeRecordBatch({ baseTimestamp: T0, transactional: true, producerId: 7, producerEpoch: 0, baseSequence: 0, records: [{ key: 'k', value: 'committed' }] })
      await log.appendAsLeader(txn, 0) // 0: a committed transaction's record of k, never rewritten
      await log.appendAsLeader(batch([['k', null], ['j', null]]), 0) // 1..2: k and j deleted
      await log.appendAsLeader(batch([['z', 'z1']]), 0) // 3: the active batch
      log.setHighWatermark(4)
      const result = await log.compact({ nowMs: T0 + 10_000, deleteRetentionMs: 1000 })
      // j's tombstone goes; k's stays, or k=committed would be k's value again.
      expect(result).toMatchObject({ recordsRemoved: 1, tombstonesKept: 1 })
      expect(await contents(log)).toEqual(['0:k=committed', '1:k=-', '3:z=z1'])
    })

    it('two replicas compacting the same batches end identical', async () => {
      const leader = await fill()
      const follower = await store.partition(TOPIC, 1)
      for (const bytes of await leader.read(0, 1 << 20, 8)) await follower.appendAsFollower(Buffer.from(bytes))
      leader.setHighWatermark(8)
      follower.setHighWatermark(8)
      await leader.compact({ nowMs: T0, deleteRetentionMs: 0 })
      await follower.compact({ nowMs: T0, deleteRetentionMs: 0 })
      const l = await leader.read(0, 1 << 20, 8)
      const f = await follower.read(0, 1 << 20, 8)
      expect(Buffer.concat(f).equals(Buffer.concat(l))).toBe(true)
    })

    it('compaction interleaved with appends, retention and truncation keeps the index consistent', async () => {
      const log = await fill()
      log.setHighWatermark(8)
      const appended = log.appendAsLeader(batch([['a', 'a4']]), 0)
      await Promise.all([log.compact({ nowMs: T0, deleteRetentionMs: 1000 }), appended])
      await log.applyRetention({ nowMs: T0, retentionMs: -1, retentionBytes: log.sizeBytes - 1 })
      await log.truncateTo(8)
      expect(await contents(log)).toEqual(['4:d=d1', '5:b=-', '6:c=c2', '7:a=a3'])
      store = await reopen()
      expect(await contents(await store.partition(TOPIC, 0))).toEqual(['4:d=d1', '5:b=-', '6:c=c2', '7:a=a3'])
    })

    const reopen = async (): Promise<LogStore> => {
      await store.close()
      store = await harness.open()
      return store
    }
  })
}
