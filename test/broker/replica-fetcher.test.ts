/**
 * broker/replica-fetcher: a follower whose truncation never converges (the leader answers a
 * divergence for the very records it serves) is never silent: the truncation is logged once, the
 * replica is marked stuck after repeated identical truncations and said once, and the mark goes
 * when the follower gets past it; and a follower holding an epoch its leader never had truncates
 * to where that epoch starts, and restarts empty at the leader's log start when it would keep
 * nothing at or above it. Runs on virtual time, with a leader played by a fake link.
 */
import { describe, expect, it } from 'vitest'
import type { ClusterView } from '../../src/broker/cluster-view.js'
import { ReplicaFetchers, type BrokerLink, type ReplicaFetchPartition, type ReplicaFetchResult } from '../../src/broker/replica-fetcher.js'
import { newHosted, type Hosted } from '../../src/broker/replica-manager.js'
import { MetadataImage } from '../../src/cluster/metadata.js'
import { MemoryLogStore } from '../../src/storage/memory.js'
import type { PartitionLog } from '../../src/storage/types.js'
import { drainMicrotasks, VirtualScheduler } from '../sim/scheduler.js'
import { makeBatch } from '../storage/batches.js'
import { ErrorCode } from '../../src/protocol/errors.js'

const TOPIC_ID = 'topic-id-1'

function image(): MetadataImage {
  const img = new MetadataImage()
  img.apply({ type: 'topic', name: 't', topicId: TOPIC_ID }, 0)
  img.apply({ type: 'partition', topicId: TOPIC_ID, partition: 0, replicas: [2, 1], isr: [2, 1], leader: 2, leaderEpoch: 3, partitionEpoch: 0 }, 1)
  return img
}

/** A leader whose batch at 0 says epoch 1 while its epoch cache knows only epoch 3: it serves the
 * batch from 0, and answers every fetch past it with a divergence the follower cannot resolve. */
class WedgedLeader implements BrokerLink {
  healed = false
  async writeTxnMarkers(): Promise<never> {
    throw new Error('this leader takes no markers')
  }

  async verifyTxnPartitions(): Promise<never> {
    throw new Error('this broker coordinates no transactions')
  }
  async replicaFetch(_follower: number, _leader: number, partitions: ReplicaFetchPartition[]): Promise<ReplicaFetchResult[]> {
    return partitions.map((rp) => {
      const base = { topicId: rp.topicId, partition: rp.partition, errorCode: ErrorCode.NONE, highWatermark: 0, logStartOffset: 0, divergingEpoch: null, records: [] as Buffer[] }
      if (rp.fetchOffset === 0) return { ...base, records: [makeBatch({ baseOffset: 0, records: 5, leaderEpoch: 1 })] }
      if (this.healed) return { ...base, records: [makeBatch({ baseOffset: rp.fetchOffset, records: 1, leaderEpoch: 3 })] }
      return { ...base, divergingEpoch: { epoch: -1, endOffset: -1 } }
    })
  }
}

describe('broker/replica-fetcher', () => {
  it('a truncation that keeps coming back is logged once, marked stuck, and cleared once the follower gets past it', async () => {
    const sched = new VirtualScheduler()
    // Writes take a virtual millisecond, as the simulation's do: the loop yields between rounds.
    const store = new MemoryLogStore(undefined, { writeDelay: () => new Promise((resolve) => sched.setTimer(resolve, 1)) })
    const runUntil = async (done: () => boolean): Promise<void> => {
      for (let i = 0; i < 10_000 && !done(); i++) {
        await drainMicrotasks()
        sched.popDue(sched.nowMs() + 1_000)?.()
      }
    }
    await store.open()
    let log: Awaited<ReturnType<typeof store.partition>> | null = null
    void store.partition(TOPIC_ID, 0).then((l) => (log = l))
    await runUntil(() => log !== null)
    if (!log) throw new Error('the log did not open')
    const hosted: Hosted = { ...newHosted(TOPIC_ID, 0, [2, 1]), log, role: 'follower', leaderId: 2, leaderEpoch: 3, partitionEpoch: 0 }
    const lines: string[] = []
    const link = new WedgedLeader()
    const cluster = { image: image() } as unknown as ClusterView
    const fetchers = new ReplicaFetchers({
      brokerId: 1,
      link,
      scheduler: sched,
      log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
      cluster,
      partitions: () => [hosted],
      wake: () => undefined,
      dropProducerSnapshot: async () => undefined,
    })
    fetchers.refresh()
    await runUntil(() => hosted.stuck !== null && (hosted.stuck?.truncations ?? 0) >= 30)
    expect(hosted.stuck).toMatchObject({ fromOffset: 5, toOffset: 0 })
    expect(lines.filter((l) => l === 'info truncating diverged replica')).toHaveLength(1)
    expect(lines.filter((l) => l.startsWith('warn replica stuck'))).toHaveLength(1)

    link.healed = true
    await runUntil(() => hosted.stuck === null && hosted.log!.logEndOffset > 5)
    fetchers.stop()
    expect(hosted.stuck).toBeNull()
    expect(lines).toContain('info replica no longer stuck')
  })
})

/** A leader with epoch 1 at 0..3 and epoch 3 from 4: it never had epoch 2. It answers a fetch
 * whose last fetched epoch it does not know with the end of its largest smaller epoch, and
 * serves from wherever the follower has truncated to. */
class LeaderWithoutEpoch2 implements BrokerLink {
  fetchOffsets: number[] = []
  async writeTxnMarkers(): Promise<never> {
    throw new Error('this leader takes no markers')
  }

  async verifyTxnPartitions(): Promise<never> {
    throw new Error('this broker coordinates no transactions')
  }
  async replicaFetch(_follower: number, _leader: number, partitions: ReplicaFetchPartition[]): Promise<ReplicaFetchResult[]> {
    return partitions.map((rp) => {
      this.fetchOffsets.push(rp.fetchOffset)
      const base = { topicId: rp.topicId, partition: rp.partition, errorCode: 0, highWatermark: 3, logStartOffset: 0, divergingEpoch: null, records: [] as Buffer[] }
      if (rp.lastFetchedEpoch === 2) return { ...base, divergingEpoch: { epoch: 1, endOffset: 4 } }
      if (rp.fetchOffset === 3) return { ...base, records: [makeBatch({ baseOffset: 3, records: 1, leaderEpoch: 1 }), makeBatch({ baseOffset: 4, records: 1, leaderEpoch: 3 })] }
      return base
    })
  }
}

/** A follower on virtual time holding `batches`, fetching from `link`. */
async function followerOf(batches: Buffer[], link: BrokerLink) {
  const sched = new VirtualScheduler()
  const store = new MemoryLogStore(undefined, { writeDelay: () => new Promise((resolve) => sched.setTimer(resolve, 1)) })
  const runUntil = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 10_000 && !done(); i++) {
      await drainMicrotasks()
      sched.popDue(sched.nowMs() + 1_000)?.()
    }
  }
  await store.open()
  const box: { log: PartitionLog | null } = { log: null }
  void store.partition(TOPIC_ID, 0).then((l) => (box.log = l))
  await runUntil(() => box.log !== null)
  const opened = box.log
  if (!opened) throw new Error('the log did not open')
  let appended = false
  void opened.appendAsFollower(Buffer.concat(batches)).then(() => (appended = true))
  await runUntil(() => appended)
  const hosted: Hosted = { ...newHosted(TOPIC_ID, 0, [2, 1]), log: opened, role: 'follower', leaderId: 2, leaderEpoch: 3, partitionEpoch: 0 }
  const fetchers = new ReplicaFetchers({
    brokerId: 1,
    link,
    scheduler: sched,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    cluster: { image: image() } as unknown as ClusterView,
    partitions: () => [hosted],
    wake: () => undefined,
    dropProducerSnapshot: async () => undefined,
  })
  return { log: opened, fetchers, runUntil }
}

/** A leader whose log starts at 4 (records deleted), its epoch cache with it: epoch 3 from 4. Asked
 * for epoch 2, which it no longer knows, it answers that epoch 2 ends at its log start. */
class LeaderPastDeletion implements BrokerLink {
  fetchOffsets: number[] = []
  async writeTxnMarkers(): Promise<never> {
    throw new Error('this leader takes no markers')
  }

  async verifyTxnPartitions(): Promise<never> {
    throw new Error('this broker coordinates no transactions')
  }
  async replicaFetch(_follower: number, _leader: number, partitions: ReplicaFetchPartition[]): Promise<ReplicaFetchResult[]> {
    return partitions.map((rp) => {
      this.fetchOffsets.push(rp.fetchOffset)
      const base = { topicId: rp.topicId, partition: rp.partition, errorCode: 0, highWatermark: 5, logStartOffset: 4, divergingEpoch: null, records: [] as Buffer[] }
      if (rp.lastFetchedEpoch === 2) return { ...base, divergingEpoch: { epoch: 2, endOffset: 4 } }
      if (rp.fetchOffset === 4) return { ...base, records: [makeBatch({ baseOffset: 4, records: 1, leaderEpoch: 3 })] }
      return base
    })
  }
}

describe('broker/replica-fetcher divergence', () => {
  it('a follower with an epoch the leader never had truncates to where that epoch starts, not to the leader\'s end offset', async () => {
    // The follower: epoch 1 at 0..2, then epoch 2 at 3..4 (written while it led an epoch the
    // current leader never had).
    const link = new LeaderWithoutEpoch2()
    const { log: opened, fetchers, runUntil } = await followerOf(
      [makeBatch({ baseOffset: 0, records: 3, leaderEpoch: 1 }), makeBatch({ baseOffset: 3, records: 1, leaderEpoch: 2 }), makeBatch({ baseOffset: 4, records: 1, leaderEpoch: 2 })],
      link,
    )
    expect(opened.logEndOffset).toBe(5)
    fetchers.refresh()
    await runUntil(() => opened.logEndOffset === 5 && opened.latestEpoch() === 3)
    fetchers.stop()
    // Truncated to 3 (where its epoch 2 started), then fetched the leader's 3 and 4. Truncated
    // only to the leader's end offset (4), it kept epoch 2 at 3 and diverged at 4 forever.
    expect(link.fetchOffsets).toContain(3)
    expect(opened.endOffsetForEpoch(2).epoch).not.toBe(2)
    expect(opened.latestEpoch()).toBe(3)
  })

  it('a truncation that keeps nothing at or above the leader\'s log start restarts the log empty there', async () => {
    // Epoch 2 at 0..4: 3..4 may be batches the leader never had, below its log start (seed 85 of
    // the quorum sweep: a transaction's batch kept there stayed open for good).
    const link = new LeaderPastDeletion()
    const { log: opened, fetchers, runUntil } = await followerOf([makeBatch({ baseOffset: 0, records: 3, leaderEpoch: 2 }), makeBatch({ baseOffset: 3, records: 2, leaderEpoch: 2 })], link)
    fetchers.refresh()
    await runUntil(() => opened.logEndOffset === 5 && opened.logStartOffset === 4)
    fetchers.stop()
    expect(link.fetchOffsets.slice(0, 2)).toEqual([5, 4])
    expect(opened.logStartOffset).toBe(4)
    expect(opened.logEndOffset).toBe(5)
  })
})
