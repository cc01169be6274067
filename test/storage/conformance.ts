/**
 * The one conformance suite of the storage layer: every LogStore implementation runs it
 * (leveldb.test.ts, memory.test.ts). A harness opens stores on one piece of storage (a directory,
 * a MemoryDisk); opening again after close() is a broker restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseBatches, readBatchHeader, readBatchHeaders } from '../../src/protocol/batch-layout.js'
import type { LogStore, PartitionLog } from '../../src/storage/types.js'
import { concatBatches, describeBatch, makeBatch } from './batches.js'
import { runModelConformance } from './conformance-model.js'
import { expectStorageError, readTags } from './helpers.js'

export interface StoreHarness {
  /** A new store object on the harness's storage, opened. */
  open(): Promise<LogStore>
  cleanup(): Promise<void>
}

export type MakeHarness = () => Promise<StoreHarness>

const TOPIC = 'AAAAAAAAAAAAAAAAAAAAAA'
const OTHER = 'BBBBBBBBBBBBBBBBBBBBBB'

export function runLogStoreConformance(name: string, makeHarness: MakeHarness): void {
  describe(`LogStore conformance: ${name}`, () => {
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

    const reopen = async (): Promise<LogStore> => {
      await store.close()
      store = await harness.open()
      return store
    }

    it('appends as leader: offsets from LEO, baseOffset and epoch stamped in place, append info', async () => {
      const log = await store.partition(TOPIC, 0)
      expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.sizeBytes]).toEqual([0, 0, 0, 0])
      const first = makeBatch({ records: 3, maxTimestamp: 1000, tag: 'a' })
      const info = await log.appendAsLeader(first, 7)
      expect(info).toEqual({ baseOffset: 0, lastOffset: 2, maxTimestamp: 1000, recordCount: 3, sizeBytes: first.length })
      const second = makeBatch({ records: 2, maxTimestamp: 2000, tag: 'b', baseOffset: 99 })
      expect((await log.appendAsLeader(second, 7)).baseOffset).toBe(3)
      expect(describeBatch(second)).toMatchObject({ baseOffset: 3, lastOffset: 4, leaderEpoch: 7, crcOk: true })
      expect([log.logEndOffset, log.sizeBytes, log.batchCount]).toEqual([5, first.length + second.length, 2])
      expect(log.latestEpoch()).toBe(7)
      expect(log.epochEntries()).toEqual([{ epoch: 7, startOffset: 0 }])
    })

    it('appends batches whose headers the caller read (ParsedBatches): stamps the bytes and the headers', async () => {
      const log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 2, tag: 'a' }), 3)
      const parsed = parseBatches(concatBatches({ records: 3, maxTimestamp: 5, tag: 'x' }, { records: 1, maxTimestamp: 9, tag: 'y' }))
      expect(await log.appendAsLeader(parsed, 4)).toMatchObject({ baseOffset: 2, lastOffset: 5, maxTimestamp: 9, recordCount: 4 })
      expect(parsed.batches.map((h) => [h.baseOffset, h.lastOffset, h.partitionLeaderEpoch])).toEqual([
        [2, 4, 4],
        [5, 5, 4],
      ])
      expect(readBatchHeaders(parsed.bytes).map((h) => [h.baseOffset, h.partitionLeaderEpoch])).toEqual([
        [2, 4],
        [5, 4],
      ])
      expect(await readTags(log)).toEqual(['a', 'x', 'y'])
      expect(log.epochEntries()).toEqual([
        { epoch: 3, startOffset: 0 },
        { epoch: 4, startOffset: 2 },
      ])
    })

    it('appends several batches carried in one records buffer', async () => {
      const log = await store.partition(TOPIC, 0)
      const records = concatBatches({ records: 2, tag: 'x', maxTimestamp: 5 }, { records: 4, tag: 'y', maxTimestamp: 9 })
      expect(await log.appendAsLeader(records, 0)).toMatchObject({ baseOffset: 0, lastOffset: 5, maxTimestamp: 9, recordCount: 6 })
      const batches = await log.read(0, 1 << 20, 6)
      expect(batches.map((b) => describeBatch(b))).toMatchObject([
        { baseOffset: 0, lastOffset: 1, tag: 'x' },
        { baseOffset: 2, lastOffset: 5, tag: 'y' },
      ])
    })

    it('rejects a malformed batch without touching the log', async () => {
      const log = await store.partition(TOPIC, 0)
      await expectStorageError(log.appendAsLeader(Buffer.alloc(30), 0), 'INVALID_BATCH')
      const bad = makeBatch({ records: 2 })
      bad.writeInt32BE(bad.length + 100, 8)
      await expectStorageError(log.appendAsLeader(bad, 0), 'INVALID_BATCH')
      await expectStorageError(log.appendAsLeader(Buffer.alloc(0), 0), 'INVALID_BATCH')
      expect(log.logEndOffset).toBe(0)
      await log.appendAsLeader(makeBatch({ tag: 'ok' }), 0)
      expect(await readTags(log)).toEqual(['ok'])
    })

    it('keeps call order under concurrent appends to many partitions (group commit)', async () => {
      const logs = await Promise.all([0, 1, 2].map((p) => store.partition(TOPIC, p)))
      const resolved: string[] = []
      const pending: Promise<unknown>[] = []
      for (let i = 0; i < 300; i++) {
        const p = i % 3
        const tag = `${p}:${i}`
        pending.push(logs[p]!.appendAsLeader(makeBatch({ records: 1 + (i % 4), tag }), 0).then((info) => resolved.push(`${tag}@${info.baseOffset}`)))
      }
      await Promise.all(pending)
      for (const [p, log] of logs.entries()) {
        const expected = Array.from({ length: 100 }, (_, k) => `${p}:${k * 3 + p}`)
        expect(await readTags(log)).toEqual(expected)
        // Each caller got its own offsets, and callers of one partition resolved in call order.
        let next = 0
        for (const entry of resolved.filter((r) => r.startsWith(`${p}:`))) {
          const [tag, base] = entry.split('@') as [string, string]
          expect(Number(base)).toBe(next)
          next += 1 + (Number(tag.split(':')[1]) % 4)
        }
        expect(log.logEndOffset).toBe(next)
      }
    })

    it('reads from any offset, inside a batch too, and checks the range', async () => {
      const log = await store.partition(TOPIC, 0)
      for (const tag of ['a', 'b', 'c']) await log.appendAsLeader(makeBatch({ records: 10, tag }), 0)
      const at = async (offset: number): Promise<string[]> => (await log.read(offset, 1, 30)).map((b) => describeBatch(b).tag)
      expect(await at(0)).toEqual(['a'])
      expect(await at(9)).toEqual(['a'])
      expect(await at(10)).toEqual(['b'])
      expect(await at(25)).toEqual(['c'])
      expect(await log.read(30, 1000, 30)).toEqual([])
      await expectStorageError(log.read(31, 1000, 31), 'OFFSET_OUT_OF_RANGE')
      await expectStorageError(log.read(-1, 1000, 30), 'OFFSET_OUT_OF_RANGE')
    })

    it('maxBytes: whole batches within the budget, but always at least one', async () => {
      const log = await store.partition(TOPIC, 0)
      for (const tag of ['a', 'b', 'c', 'd']) await log.appendAsLeader(makeBatch({ tag, payloadBytes: 939 }), 0)
      const size = 1000
      const tags = async (offset: number, maxBytes: number): Promise<string[]> =>
        (await log.read(offset, maxBytes, 4)).map((b) => describeBatch(b).tag)
      expect(await tags(0, 0)).toEqual(['a'])
      expect(await tags(0, size - 1)).toEqual(['a'])
      expect(await tags(0, 2 * size)).toEqual(['a', 'b'])
      expect(await tags(0, 3 * size - 1)).toEqual(['a', 'b'])
      expect(await tags(1, 100 * size)).toEqual(['b', 'c', 'd'])
    })

    it('maxOffsetExclusive: never a batch starting at or beyond it', async () => {
      const log = await store.partition(TOPIC, 0)
      for (const tag of ['a', 'b', 'c']) await log.appendAsLeader(makeBatch({ records: 5, tag }), 0)
      const tags = async (offset: number, limit: number): Promise<string[]> =>
        (await log.read(offset, 1 << 20, limit)).map((b) => describeBatch(b).tag)
      expect(await tags(0, 10)).toEqual(['a', 'b'])
      expect(await tags(0, 11)).toEqual(['a', 'b', 'c'])
      expect(await tags(10, 10)).toEqual([])
      expect(await tags(0, 0)).toEqual([])
      expect(await tags(0, 1000)).toEqual(['a', 'b', 'c'])
    })

    it('high watermark: clamped to the log, persisted on close', async () => {
      let log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 10 }), 0)
      log.setHighWatermark(4)
      expect(log.highWatermark).toBe(4)
      log.setHighWatermark(50)
      expect(log.highWatermark).toBe(10)
      log.setHighWatermark(6)
      log = await (await reopen()).partition(TOPIC, 0)
      expect(log.highWatermark).toBe(6)
      await store.checkpoint()
    })

    it('reopen keeps data, offsets, HWM, epochs and sizes', async () => {
      let log = await store.partition(TOPIC, 3)
      await log.appendAsLeader(makeBatch({ records: 4, tag: 'a', maxTimestamp: 100 }), 1)
      log.assignEpochStart(2, 4)
      await log.appendAsLeader(makeBatch({ records: 6, tag: 'b', maxTimestamp: 200 }), 2)
      await log.deleteRecordsBefore(2)
      log.setHighWatermark(8)
      const before = { start: log.logStartOffset, end: log.logEndOffset, hwm: log.highWatermark, size: log.sizeBytes, epochs: log.epochEntries() }
      log = await (await reopen()).partition(TOPIC, 3)
      expect({ start: log.logStartOffset, end: log.logEndOffset, hwm: log.highWatermark, size: log.sizeBytes, epochs: log.epochEntries() }).toEqual(before)
      expect(before).toMatchObject({ start: 2, end: 10, hwm: 8, epochs: [{ epoch: 1, startOffset: 2 }, { epoch: 2, startOffset: 4 }] })
      expect(await readTags(log)).toEqual(['a', 'b'])
      expect(describeBatch((await log.read(5, 1, 10))[0]!)).toMatchObject({ baseOffset: 4, leaderEpoch: 2, crcOk: true })
      expect(await store.listPartitions()).toEqual([{ topicId: TOPIC, partition: 3 }])
    })

    it('epoch cache: leader appends assign epochs; endOffsetForEpoch answers as Kafka', async () => {
      const log = await store.partition(TOPIC, 0)
      expect(log.latestEpoch()).toBe(-1)
      expect(log.endOffsetForEpoch(0)).toEqual({ epoch: -1, endOffset: -1 })
      log.assignEpochStart(1, 0)
      await log.appendAsLeader(makeBatch({ records: 5 }), 1)
      log.assignEpochStart(3, 5)
      await log.appendAsLeader(makeBatch({ records: 5 }), 3)
      await log.appendAsLeader(makeBatch({ records: 5 }), 5) // epoch 5 assigned by the append itself
      expect(log.epochEntries()).toEqual([
        { epoch: 1, startOffset: 0 },
        { epoch: 3, startOffset: 5 },
        { epoch: 5, startOffset: 10 },
      ])
      expect(log.latestEpoch()).toBe(5)
      expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 15 })
      expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 10 })
      expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 3, endOffset: 10 })
      expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 5 })
      expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 })
      expect(log.endOffsetForEpoch(6)).toEqual({ epoch: -1, endOffset: -1 })
      expect(log.endOffsetForEpoch(-1)).toEqual({ epoch: -1, endOffset: -1 })
      // An assignment that breaks monotonicity drops the entries in its way.
      log.assignEpochStart(4, 15)
      expect(log.epochEntries()).toEqual([
        { epoch: 1, startOffset: 0 },
        { epoch: 3, startOffset: 5 },
        { epoch: 4, startOffset: 15 },
      ])
      const reopened = await (await reopen()).partition(TOPIC, 0)
      expect(reopened.latestEpoch()).toBe(4)
    })

    it('epoch cache: a new epoch starts after the appends in flight; an older batch drops the entries it contradicts', async () => {
      const log = await store.partition(TOPIC, 0)
      // A follower append in flight when the broker is elected: the epoch starts after it, not
      // under it at the durable LEO.
      const inFlight = log.appendAsFollower(makeBatch({ baseOffset: 0, records: 3, leaderEpoch: 2 }))
      log.assignEpochStart(5, log.logEndOffset)
      await inFlight
      expect(log.epochEntries()).toEqual([
        { epoch: 2, startOffset: 0 },
        { epoch: 5, startOffset: 3 },
      ])
      // A batch of an older epoch appended at the LEO (as Kafka's follower append): the cache
      // follows the batches, so the epoch-5 entry over it goes.
      await log.appendAsFollower(makeBatch({ baseOffset: 3, records: 2, leaderEpoch: 4 }))
      expect(log.epochEntries()).toEqual([
        { epoch: 2, startOffset: 0 },
        { epoch: 4, startOffset: 3 },
      ])
      expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 5 })
    })

    it('batches in flight: readable with inFlight (a leader serving its followers), not before they land otherwise', async () => {
      const log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 2, tag: 'landed' }), 1)
      const writing = log.appendAsLeader(makeBatch({ records: 3, tag: 'flying' }), 1)
      expect(log.logEndOffset).toBe(2)
      expect(log.appendedEndOffset).toBe(5)
      expect(await log.read(2, 1 << 20, 10)).toEqual([])
      const both = await log.read(0, 1 << 20, log.appendedEndOffset, { inFlight: true })
      expect(both.map((b) => readBatchHeader(b).baseOffset)).toEqual([0, 2])
      expect((await log.read(2, 1 << 20, 10, { inFlight: true })).map((b) => readBatchHeader(b).lastOffset)).toEqual([4])
      expect(log.endOffsetForEpoch(1, { inFlight: true })).toEqual({ epoch: 1, endOffset: 5 })
      await writing
      expect(log.logEndOffset).toBe(5)
      expect((await log.read(2, 1 << 20, 10)).map((b) => readBatchHeader(b).baseOffset)).toEqual([2])
      // A follower's append of several parts (a fetch answer's buffers) is one append.
      const follower = await store.partition(TOPIC, 1)
      await follower.appendAsFollower([parseBatches(both[0]!), parseBatches(both[1]!)])
      expect(follower.logEndOffset).toBe(5)
      await expect(follower.appendAsFollower([parseBatches(makeBatch({ baseOffset: 4, records: 1 })), parseBatches(makeBatch({ baseOffset: 9, records: 1 }))])).rejects.toThrow(/expected 5 or later/)
      expect(follower.logEndOffset).toBe(5)
    })

    it('follower appends keep offsets and epochs, start at LEO, may skip a gap', async () => {
      const log = await store.partition(TOPIC, 0)
      await log.appendAsFollower(concatBatches({ baseOffset: 0, records: 3, leaderEpoch: 2, tag: 'a' }, { baseOffset: 3, records: 2, leaderEpoch: 4, tag: 'b' }))
      expect(log.logEndOffset).toBe(5)
      expect(log.epochEntries()).toEqual([
        { epoch: 2, startOffset: 0 },
        { epoch: 4, startOffset: 3 },
      ])
      await expectStorageError(log.appendAsFollower(makeBatch({ baseOffset: 4, leaderEpoch: 4 })), 'UNEXPECTED_APPEND_OFFSET')
      await expectStorageError(
        log.appendAsFollower(concatBatches({ baseOffset: 5, records: 3 }, { baseOffset: 6 })),
        'UNEXPECTED_APPEND_OFFSET',
      )
      await log.appendAsFollower(makeBatch({ baseOffset: 9, records: 1, leaderEpoch: 4, tag: 'c' }))
      expect(log.logEndOffset).toBe(10)
      expect(await readTags(log)).toEqual(['a', 'b', 'c'])
      expect((await log.read(6, 1, 10)).map((b) => describeBatch(b).tag)).toEqual(['c'])
    })

    it('truncateTo: drops the tail (a straddling batch entirely), fixes epochs, appends continue', async () => {
      let log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 5, tag: 'a' }), 1)
      await log.appendAsLeader(makeBatch({ records: 5, tag: 'b' }), 2)
      await log.appendAsLeader(makeBatch({ records: 5, tag: 'c' }), 3)
      log.setHighWatermark(15)
      await log.truncateTo(20)
      expect(log.logEndOffset).toBe(15)
      await log.truncateTo(10)
      expect([log.logEndOffset, log.highWatermark, log.latestEpoch()]).toEqual([10, 10, 2])
      await log.truncateTo(7)
      expect([log.logEndOffset, log.highWatermark, log.latestEpoch()]).toEqual([5, 5, 1])
      expect(await readTags(log)).toEqual(['a'])
      await log.appendAsLeader(makeBatch({ records: 2, tag: 'd' }), 4)
      expect(log.logEndOffset).toBe(7)
      log = await (await reopen()).partition(TOPIC, 0)
      expect(await readTags(log)).toEqual(['a', 'd'])
      expect(log.epochEntries()).toEqual([
        { epoch: 1, startOffset: 0 },
        { epoch: 4, startOffset: 5 },
      ])
    })

    it('truncateTo at the LEO keeps every batch and drops epochs starting there (assigned at an election, never written)', async () => {
      let log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 5, tag: 'a' }), 1)
      log.assignEpochStart(3, 5)
      expect(log.latestEpoch()).toBe(3)
      await log.truncateTo(5)
      expect([log.logEndOffset, log.latestEpoch()]).toEqual([5, 1])
      log = await (await reopen()).partition(TOPIC, 0)
      expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }])
      expect(await readTags(log)).toEqual(['a'])
    })

    it('truncateTo below the log start empties the log and restarts it there', async () => {
      const log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 10 }), 0)
      await log.deleteRecordsBefore(8)
      await log.truncateTo(3)
      expect([log.logStartOffset, log.logEndOffset, log.batchCount, log.sizeBytes]).toEqual([3, 3, 0, 0])
      expect((await log.appendAsLeader(makeBatch({ tag: 'n' }), 0)).baseOffset).toBe(3)
    })

    it('truncateFullyAndStartAt past the log end empties the log, its epochs and HWM, and restarts it there (durably)', async () => {
      let log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 4 }), 2)
      log.setHighWatermark(4)
      await log.truncateFullyAndStartAt(12)
      expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.batchCount, log.sizeBytes, log.latestEpoch()]).toEqual([12, 12, 12, 0, 0, -1])
      log = await (await reopen()).partition(TOPIC, 0)
      expect([log.logStartOffset, log.logEndOffset, log.batchCount, log.latestEpoch()]).toEqual([12, 12, 0, -1])
      await expectStorageError(log.read(4, 1, 12), 'OFFSET_OUT_OF_RANGE')
      expect((await log.appendAsLeader(makeBatch({ tag: 'n' }), 3)).baseOffset).toBe(12)
      expect(await readTags(log)).toEqual(['n'])
    })

    it('deleteRecordsBefore: moves the log start, deletes whole batches below it', async () => {
      let log = await store.partition(TOPIC, 0)
      for (const tag of ['a', 'b', 'c']) await log.appendAsLeader(makeBatch({ records: 10, tag }), 0)
      log.setHighWatermark(30)
      await log.deleteRecordsBefore(15)
      expect([log.logStartOffset, log.batchCount]).toEqual([15, 2])
      await expectStorageError(log.read(14, 1, 30), 'OFFSET_OUT_OF_RANGE')
      expect(describeBatch((await log.read(15, 1, 30))[0]!).tag).toBe('b')
      await log.deleteRecordsBefore(5)
      expect(log.logStartOffset).toBe(15)
      await expectStorageError(log.deleteRecordsBefore(31), 'OFFSET_OUT_OF_RANGE')
      log = await (await reopen()).partition(TOPIC, 0)
      expect([log.logStartOffset, log.batchCount]).toEqual([15, 2])
      expect(await readTags(log)).toEqual(['b', 'c'])
      await log.deleteRecordsBefore(30)
      expect([log.logStartOffset, log.logEndOffset, log.batchCount, log.sizeBytes]).toEqual([30, 30, 0, 0])
      expect(await log.read(30, 100, 30)).toEqual([])
    })

    it('retention by time deletes expired head batches below the HWM only', async () => {
      const log = await store.partition(TOPIC, 0)
      for (const ts of [1000, 2000, 1500, 9000, 3000]) await log.appendAsLeader(makeBatch({ maxTimestamp: ts, tag: String(ts) }), 0)
      log.setHighWatermark(5)
      // Kafka deletes the prefix: 9000 stops the pass, 3000 behind it stays.
      expect(await log.applyRetention({ nowMs: 10_000, retentionMs: 7_000, retentionBytes: -1 })).toBe(3)
      expect([log.logStartOffset, log.batchCount]).toEqual([3, 2])
      expect(await log.applyRetention({ nowMs: 10_000, retentionMs: 7_000, retentionBytes: -1 })).toBe(0)
      expect(await log.applyRetention({ nowMs: 10_000, retentionMs: -1, retentionBytes: -1 })).toBe(0)
      // Everything expired, but only what is below the HWM goes; the LEO stays.
      log.setHighWatermark(4)
      expect(await log.applyRetention({ nowMs: 100_000, retentionMs: 1, retentionBytes: -1 })).toBe(1)
      log.setHighWatermark(5)
      expect(await log.applyRetention({ nowMs: 100_000, retentionMs: 1, retentionBytes: -1 })).toBe(1)
      expect([log.logStartOffset, log.logEndOffset, log.batchCount]).toEqual([5, 5, 0])
      expect((await log.appendAsLeader(makeBatch({}), 0)).baseOffset).toBe(5)
    })

    it('retention by size keeps at least retentionBytes', async () => {
      let log = await store.partition(TOPIC, 0)
      for (let i = 0; i < 10; i++) await log.appendAsLeader(makeBatch({ payloadBytes: 39, tag: String(i) }), 0) // 100 bytes each
      log.setHighWatermark(10)
      expect(await log.applyRetention({ nowMs: 0, retentionMs: -1, retentionBytes: 350 })).toBe(6)
      expect([log.sizeBytes, log.logStartOffset]).toEqual([400, 6])
      expect(await log.applyRetention({ nowMs: 0, retentionMs: -1, retentionBytes: 350 })).toBe(0)
      expect(await log.applyRetention({ nowMs: 0, retentionMs: -1, retentionBytes: 0 })).toBe(4)
      log = await (await reopen()).partition(TOPIC, 0)
      expect([log.sizeBytes, log.logStartOffset, log.logEndOffset]).toEqual([0, 10, 10])
    })

    it('offsetForTimestamp: first batch whose max timestamp reaches ts', async () => {
      const log = await store.partition(TOPIC, 0)
      expect(await log.offsetForTimestamp(0)).toBeNull()
      for (const ts of [100, 200, 150, 400, 300]) await log.appendAsLeader(makeBatch({ records: 2, maxTimestamp: ts }), 0)
      expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 100 })
      expect(await log.offsetForTimestamp(100)).toEqual({ offset: 0, timestamp: 100 })
      expect(await log.offsetForTimestamp(101)).toEqual({ offset: 2, timestamp: 200 })
      expect(await log.offsetForTimestamp(250)).toEqual({ offset: 6, timestamp: 400 })
      expect(await log.offsetForTimestamp(401)).toBeNull()
      await log.deleteRecordsBefore(7)
      expect(await log.offsetForTimestamp(0)).toEqual({ offset: 7, timestamp: 400 })
      expect(await log.offsetForTimestamp(350)).toEqual({ offset: 7, timestamp: 400 })
    })

    it('deletePartition removes everything; an open log of it refuses work', async () => {
      const log = await store.partition(TOPIC, 0)
      await log.appendAsLeader(makeBatch({ records: 3 }), 0)
      const other = await store.partition(TOPIC, 1)
      await other.appendAsLeader(makeBatch({ tag: 'keep' }), 0)
      await store.deletePartition(TOPIC, 0)
      expect(await store.listPartitions()).toEqual([{ topicId: TOPIC, partition: 1 }])
      await expectStorageError(log.appendAsLeader(makeBatch({}), 0), 'PARTITION_DELETED')
      await expectStorageError(log.read(0, 1, 3), 'PARTITION_DELETED')
      const fresh = await store.partition(TOPIC, 0)
      expect([fresh.logEndOffset, fresh.batchCount]).toEqual([0, 0])
      await store.deletePartition(TOPIC, 0)
      await store.deletePartition(OTHER, 9) // never existed: fine
      await reopen()
      expect(await store.listPartitions()).toEqual([{ topicId: TOPIC, partition: 1 }])
      expect(await readTags(await store.partition(TOPIC, 1))).toEqual(['keep'])
    })

    it('hosts many partitions of many topics', async () => {
      const ids: { topicId: string; partition: number }[] = []
      for (const topicId of [TOPIC, OTHER, 'topic-three']) for (let p = 0; p < 20; p++) ids.push({ topicId, partition: p })
      await Promise.all(
        ids.map(async ({ topicId, partition }) => {
          const log = await store.partition(topicId, partition)
          for (let i = 0; i <= partition % 3; i++) await log.appendAsLeader(makeBatch({ tag: `${topicId}/${partition}/${i}` }), 0)
        }),
      )
      await reopen()
      expect(await store.listPartitions()).toEqual([...ids].sort((a, b) => (a.topicId === b.topicId ? a.partition - b.partition : a.topicId < b.topicId ? -1 : 1)))
      for (const { topicId, partition } of ids) {
        const log = await store.partition(topicId, partition)
        expect(await readTags(log)).toEqual(Array.from({ length: (partition % 3) + 1 }, (_, i) => `${topicId}/${partition}/${i}`))
      }
    })

    it('one log object per partition, shared by concurrent opens', async () => {
      const [a, b] = await Promise.all([store.partition(TOPIC, 0), store.partition(TOPIC, 0)])
      expect(a).toBe(b)
    })

    it('waitFor and onChange wake long polls on appends and HWM moves', async () => {
      const log = await store.partition(TOPIC, 0)
      const seen: number[] = []
      const unsubscribe = log.onChange((l) => seen.push(l.logEndOffset))
      const leoPastZero = log.waitFor((l) => l.logEndOffset > 0)
      const hwmPastZero = log.waitFor((l) => l.highWatermark > 0)
      await log.appendAsLeader(makeBatch({ records: 2 }), 0)
      expect(await leoPastZero).toBe(true)
      log.setHighWatermark(2)
      expect(await hwmPastZero).toBe(true)
      unsubscribe()
      expect(seen.length).toBeGreaterThan(0)
      const abort = new AbortController()
      const never = log.waitFor((l) => l.logEndOffset > 100, abort.signal)
      abort.abort()
      expect(await never).toBe(false)
    })

    it('meta store: ordered keys, prefixes, atomic batches, survives reopen', async () => {
      await store.meta.put('log/00000002', Buffer.from('two'))
      await store.meta.batch([
        { type: 'put', key: 'log/00000001', value: Buffer.from('one') },
        { type: 'put', key: 'log/00000003', value: Buffer.from('three') },
        { type: 'put', key: 'clusterId', value: Buffer.from('abc') },
      ])
      await store.meta.del('log/00000003')
      await reopen()
      expect((await store.meta.get('clusterId'))?.toString()).toBe('abc')
      expect(await store.meta.get('missing')).toBeUndefined()
      const text = (entries: [string, Buffer][]): string[] => entries.map(([k, v]) => `${k}=${v.toString()}`)
      expect(text(await store.meta.entries('log/'))).toEqual(['log/00000001=one', 'log/00000002=two'])
      expect(text(await store.meta.entries('log/', { reverse: true, limit: 1 }))).toEqual(['log/00000002=two'])
      expect(text(await store.meta.entries('log/', { gt: 'log/00000001' }))).toEqual(['log/00000002=two'])
      expect(text(await store.meta.entries(''))).toHaveLength(3)
    })

    it('close lets appends in flight finish and keeps them', async () => {
      const log = await store.partition(TOPIC, 0)
      log.setHighWatermark(0)
      const inFlight = ['a', 'b', 'c'].map((tag) => log.appendAsLeader(makeBatch({ tag }), 0))
      await store.close()
      expect((await Promise.all(inFlight)).map((info) => info.baseOffset)).toEqual([0, 1, 2])
      store = await harness.open()
      expect(await readTags(await store.partition(TOPIC, 0))).toEqual(['a', 'b', 'c'])
    })

    it('refuses work after close', async () => {
      const log = await store.partition(TOPIC, 0)
      await store.close()
      await expectStorageError(log.appendAsLeader(makeBatch({}), 0), 'STORE_CLOSED')
      await expectStorageError(store.partition(TOPIC, 1), 'STORE_CLOSED')
      store = await harness.open()
    })

    runModelConformance(() => ({ store, reopen }))
  })
}
