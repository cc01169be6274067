/**
 * broker/producer-state and broker/txn-index against a model, over seeded random runs: whatever the
 * order of transactional batches, markers, plain batches, snapshots at the high watermark,
 * truncations above it and restarts (the index as persisted, the snapshot as saved), the table's
 * open transactions and aborted entries are those of a replay of the whole log from its start.
 */
import { describe, expect, it } from 'vitest'
import { deleteProducerSnapshot, loadProducerSnapshot, ProducerStateTable, rebuildProducerState, saveProducerSnapshot } from '../../src/broker/producer-state.js'
import { parseBatches } from '../../src/protocol/batch-layout.js'
import { encodeControlBatch } from '../../src/protocol/control-batch.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { seededRng } from '../../src/cluster/rng.js'
import { MemoryDisk, MemoryLogStore } from '../../src/storage/memory.js'
import type { PartitionLog } from '../../src/storage/types.js'

const TOPIC = 'model-topic'
const T0 = 1_700_000_000_000
const DAY_MS = 86_400_000
const PRODUCERS = [11, 12, 13]
const SEEDS = 40
const STEPS = 120

async function open(disk: MemoryDisk): Promise<{ store: MemoryLogStore; log: PartitionLog; table: ProducerStateTable }> {
  const store = new MemoryLogStore(disk)
  await store.open()
  const log = await store.partition(TOPIC, 0)
  const table = new ProducerStateTable()
  table.aborted.attach(store.meta, TOPIC, 0)
  await table.aborted.load()
  await rebuildProducerState(log, table, await loadProducerSnapshot(store.meta, TOPIC, 0))
  return { store, log, table }
}

/** The state a replay of the whole log gives. */
async function replayAll(log: PartitionLog): Promise<{ aborted: unknown; open: unknown }> {
  const ref = new ProducerStateTable()
  await rebuildProducerState(log, ref, null)
  return { aborted: ref.aborted.entries(), open: openTxns(ref) }
}

const openTxns = (t: ProducerStateTable): [number, number][] =>
  t
    .describe()
    .filter((p) => p.currentTxnStartOffset >= 0)
    .map((p): [number, number] => [p.producerId, p.currentTxnStartOffset])
    .sort((a, b) => a[0] - b[0])

describe('broker/producer-state: transactions against a model', () => {
  it(`${SEEDS} seeds of ${STEPS} steps: snapshots, truncations and restarts give back what a full replay gives`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = seededRng(seed)
      const disk = new MemoryDisk()
      let { store, log, table } = await open(disk)
      // Recorded as replicated (recordStored checks no sequence): any increasing sequence does.
      const seqs = new Map<number, number>(PRODUCERS.map((p) => [p, 0]))
      const append = async (batch: Buffer): Promise<void> => {
        const parsed = parseBatches(batch)
        await log.appendAsLeader(parsed, 0)
        table.recordStored(parsed)
      }
      for (let step = 0; step < STEPS; step++) {
        const roll = rng.int(100)
        const producerId = PRODUCERS[rng.int(PRODUCERS.length)]!
        if (roll < 40) {
          const seq = seqs.get(producerId)!
          seqs.set(producerId, seq + 2)
          await append(encodeRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], baseTimestamp: T0, producerId, producerEpoch: 0, baseSequence: seq, transactional: true }))
        } else if (roll < 60) {
          await append(encodeControlBatch({ producerId, producerEpoch: 0, committed: rng.int(2) === 0, coordinatorEpoch: 0, timestampMs: T0 }))
        } else if (roll < 70) {
          await append(encodeRecordBatch({ records: [{ value: 'plain' }], baseTimestamp: T0 }))
        } else if (roll < 82) {
          // A snapshot as the broker takes it: at the HWM, once the index is stored.
          log.setHighWatermark(log.highWatermark + rng.int(log.logEndOffset - log.highWatermark + 1))
          const snapshot = table.snapshot(log.highWatermark, T0, DAY_MS)
          await table.aborted.flushed()
          await saveProducerSnapshot(store.meta, TOPIC, 0, snapshot)
        } else if (roll < 92) {
          // A follower's truncation, from the HWM up (a batch straddling the point goes whole, so
          // the log may end below a snapshot: then the snapshot is dropped, as the fetcher does).
          const to = log.highWatermark + rng.int(log.logEndOffset - log.highWatermark + 1)
          await log.truncateTo(to)
          let snapshot = await loadProducerSnapshot(store.meta, TOPIC, 0)
          if (snapshot && snapshot.offset > log.logEndOffset) {
            snapshot = null
            await deleteProducerSnapshot(store.meta, TOPIC, 0)
          }
          await rebuildProducerState(log, table, snapshot)
        } else {
          await table.aborted.flushed()
          await store.close()
          ;({ store, log, table } = await open(disk))
        }
        const expected = await replayAll(log)
        expect({ seed, step, aborted: table.aborted.entries(), open: openTxns(table) }).toEqual({ seed, step, ...expected })
      }
      await table.aborted.flushed()
      await store.close()
      // What the store holds is what the table held.
      const reopened = await open(disk)
      expect({ seed, aborted: reopened.table.aborted.entries() }).toEqual({ seed, aborted: (await replayAll(reopened.log)).aborted })
      await reopened.store.close()
    }
  })
})
