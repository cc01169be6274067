/**
 * broker/txn-index: which aborted transactions a read needs (Kafka's collectAbortedTxns), and the
 * index's life in the store: added, replaced from a replay, pruned below the log start.
 */
import { describe, expect, it } from 'vitest'
import { AbortedTxnIndex, deleteAbortedIndex } from '../../src/broker/txn-index.js'
import { MemoryDisk, MemoryLogStore } from '../../src/storage/memory.js'

describe('broker/txn-index', () => {
  it('answers the transactions whose marker is at or after the fetch offset and which begin before the end of the read', () => {
    const index = new AbortedTxnIndex()
    index.add({ producerId: 1, firstOffset: 0, lastOffset: 100 })
    index.add({ producerId: 2, firstOffset: 50, lastOffset: 60 })
    index.add({ producerId: 3, firstOffset: 200, lastOffset: 210 })
    expect(index.overlapping(55, 58).map((e) => e.producerId)).toEqual([2, 1])
    expect(index.overlapping(61, 150).map((e) => e.producerId)).toEqual([1])
    expect(index.overlapping(101, 150)).toEqual([])
    expect(index.overlapping(101, 201).map((e) => e.producerId)).toEqual([3])
    expect(index.overlapping(211, 300)).toEqual([])
  })

  it('persists each entry, replaces the entries from a replay, and prunes below the log start', async () => {
    const store = new MemoryLogStore(new MemoryDisk())
    await store.open()
    const index = new AbortedTxnIndex()
    index.attach(store.meta, 'topic', 0)
    index.add({ producerId: 1, firstOffset: 0, lastOffset: 5 })
    index.add({ producerId: 2, firstOffset: 3, lastOffset: 9 })
    index.add({ producerId: 3, firstOffset: 10, lastOffset: 12 })
    // A replay from 8 found producer 2's marker again (its transaction seen from 6 only) and not 3's.
    index.replaceFrom(8, [{ producerId: 2, firstOffset: 6, lastOffset: 9 }])
    expect(index.entries()).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 5 },
      { producerId: 2, firstOffset: 3, lastOffset: 9 },
    ])
    index.pruneBelow(6)
    await index.flushed()
    const loaded = new AbortedTxnIndex()
    loaded.attach(store.meta, 'topic', 0)
    await loaded.load()
    expect(loaded.entries()).toEqual([{ producerId: 2, firstOffset: 3, lastOffset: 9 }])
    await deleteAbortedIndex(store.meta, 'topic', 0)
    await loaded.load()
    expect(loaded.size).toBe(0)
    await store.close()
  })
})
