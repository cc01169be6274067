/**
 * The fetch loop against a scripted cluster (fake metadata, connections and Fetch): leaders that
 * move, connections that fail, records deleted under a slow reader, stops. Every test checks
 * that each record came out exactly once, in order within its partition.
 */
import type { Broker, ClusterMetadata } from '@platformatic/kafka'
import type { WireConnection } from '../../../src/client/wire/connection.js'
import { describe, expect, it } from 'vitest'
import { Fetcher, type PartitionCursor } from '../../../src/client/consume/fetcher.js'
import type { FetchConnection, FetchOptions, FetchResult } from '../../../src/client/consume/fetch-api.js'
import { encodeControlBatch } from '../../../src/protocol/control-batch.js'
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js'
import { ErrorCode } from '../../../src/protocol/errors.js'

const BATCH_RECORDS = 5

/** A scripted cluster: partition logs of batches of BATCH_RECORDS records, leaders by broker id. */
class FakeCluster {
  leaders: number[]
  logStart: number[]
  readonly logs: Buffer[][] // per partition: batches, batch i holds offsets i*5 .. i*5+4
  fetches = 0
  /** Called before each fetch is answered; may change the cluster or throw (a network failure). */
  beforeFetch: (broker: number, opts: FetchOptions) => void = () => undefined
  metadataCalls = 0

  constructor(recordsPerPartition: number[], leaders: number[]) {
    this.leaders = leaders
    this.logStart = recordsPerPartition.map(() => 0)
    this.logs = recordsPerPartition.map((n, p) =>
      Array.from({ length: Math.ceil(n / BATCH_RECORDS) }, (_, b) =>
        encodeRecordBatch({
          baseOffset: b * BATCH_RECORDS,
          baseTimestamp: 1000 + b,
          records: Array.from({ length: Math.min(BATCH_RECORDS, n - b * BATCH_RECORDS) }, (_, i) => ({ value: `${p}:${b * BATCH_RECORDS + i}` })),
        }),
      ),
    )
  }

  end(p: number): number {
    return this.logs[p]!.reduce((n, b) => n + b.readInt32BE(57), 0)
  }

  client() {
    const cluster = this
    return {
      async metadata(): Promise<ClusterMetadata> {
        cluster.metadataCalls++
        const partitions = cluster.leaders.map((leader) => ({ leader, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3], offlineReplicas: [] }))
        return {
          id: 'fake',
          controllerId: 1,
          lastUpdate: 0,
          brokers: new Map([1, 2, 3].map((id) => [id, { host: `b${id}`, port: id, rack: null }])),
          topics: new Map([['t', { id: 't-id', partitions, partitionsCount: partitions.length, lastUpdate: 0 }]]),
        }
      },
      connections: {
        async get(broker: Broker): Promise<WireConnection> {
          return { broker: broker.port } as unknown as WireConnection
        },
      },
      async listOffsets(o: { timestamp?: bigint }) {
        const answer = cluster.leaders.map((_, p) => BigInt(o.timestamp === -2n ? cluster.logStart[p]! : cluster.end(p)))
        return new Map([['t', answer]])
      },
    }
  }

  async fetch(connection: FetchConnection, opts: FetchOptions): Promise<FetchResult> {
    this.fetches++
    const broker = (connection as unknown as { broker: number }).broker
    this.beforeFetch(broker, opts)
    await new Promise((resolve) => setImmediate(resolve))
    return {
      errorCode: ErrorCode.NONE,
      partitions: opts.partitions.map((req) => {
        const p = req.partition
        const base = { partition: p, highWatermark: this.end(p), logStartOffset: this.logStart[p]!, lastStableOffset: this.end(p), abortedTransactions: [], records: Buffer.alloc(0) }
        if (this.leaders[p] !== broker) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }
        if (req.fetchOffset < this.logStart[p]! || req.fetchOffset > this.end(p)) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
        // The batch holding fetchOffset and up to one more (a small max bytes).
        const first = Math.floor(req.fetchOffset / BATCH_RECORDS)
        return { ...base, errorCode: ErrorCode.NONE, records: Buffer.concat(this.logs[p]!.slice(first, first + 2)) }
      }),
    }
  }
}

function cursor(partition: number, position: number, stopOffset: number): PartitionCursor {
  return { partition, position, stopOffset, done: position >= stopOffset, partitionMaxBytes: 1 << 20, failures: 0 }
}

async function run(cluster: FakeCluster, cursors: PartitionCursor[], onRecord?: (value: string) => boolean) {
  const seen: string[] = []
  const fetcher = new Fetcher({
    consumer: cluster.client(),
    target: { bootstrapBrokers: ['b1:1'], local: false },
    topic: 't',
    cursors,
    maxWaitMs: 0,
    maxBytes: 1 << 20,
    isolation: 'read_committed',
    fetch: (c, o) => cluster.fetch(c, o),
    onRecord: (r) => {
      const value = r.buf.toString('utf8', r.valueStart, r.valueStart + r.valueLength)
      seen.push(value)
      return onRecord ? onRecord(value) : true
    },
    ready: async () => undefined,
    backoffMsMin: 1,
    backoffMsMax: 2,
    retryWindowMs: 100,
  })
  let error: unknown
  await fetcher.run().catch((err: unknown) => (error = err))
  return { seen, error, fetcher }
}

/** Checks every record once, in order per partition, and returns the count per partition. */
function expectExactlyOnce(seen: string[], expected: Record<number, [number, number]>): void {
  const byPartition = new Map<number, number[]>()
  for (const v of seen) {
    const [p, o] = v.split(':').map(Number) as [number, number]
    byPartition.set(p, [...(byPartition.get(p) ?? []), o])
  }
  for (const [p, [from, to]] of Object.entries(expected)) {
    expect(byPartition.get(Number(p)) ?? []).toEqual(Array.from({ length: to - from }, (_, i) => from + i))
  }
  expect([...byPartition.keys()].every((p) => String(p) in expected)).toBe(true)
}

describe('client/consume/fetcher', () => {
  it('reads every partition from its leader up to the stop offsets', async () => {
    const cluster = new FakeCluster([23, 7, 0], [1, 2, 1])
    const cursors = [cursor(0, 3, 23), cursor(1, 0, 6), cursor(2, 0, 0)]
    const { seen, error } = await run(cluster, cursors)
    expect(error).toBeUndefined()
    expectExactlyOnce(seen, { 0: [3, 23], 1: [0, 6] })
    // Partition 1 stopped at its stop offset 6: the position is the first record not read (6), not after it.
    expect(cursors.map((c) => [c.position, c.done])).toEqual([[23, true], [6, true], [0, true]])
  })

  it('follows a leader that moves (NOT_LEADER_OR_FOLLOWER): refreshes metadata, nothing lost or repeated', async () => {
    const cluster = new FakeCluster([40, 40], [1, 2])
    cluster.beforeFetch = () => {
      if (cluster.fetches === 3) cluster.leaders = [3, 1]
      if (cluster.fetches === 9) cluster.leaders = [2, 2]
    }
    const { seen, error } = await run(cluster, [cursor(0, 0, 40), cursor(1, 0, 40)])
    expect(error).toBeUndefined()
    expectExactlyOnce(seen, { 0: [0, 40], 1: [0, 40] })
    expect(cluster.metadataCalls).toBeGreaterThan(2)
  })

  it('when following, a partition handed to a leader that already serves others is fetched too', async () => {
    const cluster = new FakeCluster([40, 40], [1, 2])
    cluster.beforeFetch = () => {
      if (cluster.fetches === 3) cluster.leaders = [1, 1]
    }
    let count = 0
    const { seen, error } = await run(cluster, [cursor(0, 0, Number.POSITIVE_INFINITY), cursor(1, 0, Number.POSITIVE_INFINITY)], () => ++count < 80)
    expect(error).toBeUndefined()
    expectExactlyOnce(seen, { 0: [0, 40], 1: [0, 40] })
  })

  it('retries after a lost connection, then gives up after the retry window with "cannot reach"', async () => {
    const flaky = new FakeCluster([20], [1])
    flaky.beforeFetch = () => {
      if (flaky.fetches === 2) throw Object.assign(new Error('Connection closed'), { code: 'PLT_KFK_NETWORK' })
    }
    const once = await run(flaky, [cursor(0, 0, 20)])
    expect(once.error).toBeUndefined()
    expectExactlyOnce(once.seen, { 0: [0, 20] })

    const down = new FakeCluster([20], [1])
    down.beforeFetch = () => {
      throw Object.assign(new Error('Connection refused'), { code: 'PLT_KFK_NETWORK' })
    }
    const failed = await run(down, [cursor(0, 0, 20)])
    expect(failed.error).toMatchObject({ code: 'CLUSTER_UNREACHABLE', exit: 3 })
    expect(String((failed.error as Error).message)).toMatch(/cannot reach the cluster.*failing for \d+ s, \d+ attempts/)
    expect(down.fetches).toBeGreaterThan(5)
  })

  it('fails, naming where the data now starts, when retention deletes records before they are read', async () => {
    const cluster = new FakeCluster([30], [1])
    cluster.beforeFetch = () => {
      if (cluster.fetches === 2) cluster.logStart[0] = 25
    }
    const { seen, error } = await run(cluster, [cursor(0, 0, 30)])
    expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', exit: 4 })
    expect((error as Error).message).toMatch(/t\/0: offset 10 was deleted by retention before it was read; data now starts at 25/)
    expectExactlyOnce(seen, { 0: [0, 10] })
  })

  it('other partition errors fail at once with the error name', async () => {
    const cluster = new FakeCluster([10], [1])
    const fetch = cluster.fetch.bind(cluster)
    cluster.fetch = async (c, o) => {
      const r = await fetch(c, o)
      return { ...r, partitions: r.partitions.map((p) => ({ ...p, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }
    }
    const { error } = await run(cluster, [cursor(0, 0, 10)])
    expect(error).toMatchObject({ code: 'KAFKA_ERROR', exit: 7 })
    expect((error as Error).message).toMatch(/t\/0: the broker answered TOPIC_AUTHORIZATION_FAILED/)
  })

  it('stops at once when the record callback says so, the cursor just past that record', async () => {
    const cluster = new FakeCluster([50], [1])
    const cursors = [cursor(0, 0, Number.POSITIVE_INFINITY)]
    const { seen, error } = await run(cluster, cursors, (v) => v !== '0:12')
    expect(error).toBeUndefined()
    expectExactlyOnce(seen, { 0: [0, 13] })
    expect(cursors[0]!.position).toBe(13)
  })

  it('stops a partition at the first record at or after a stop timestamp', async () => {
    const cluster = new FakeCluster([30], [1])
    const c = { ...cursor(0, 0, Number.POSITIVE_INFINITY), stopTimestampMs: 1003 } // batch b is at 1000 + b
    const { seen, error } = await run(cluster, [c])
    expect(error).toBeUndefined()
    expectExactlyOnce(seen, { 0: [0, 15] })
    expect(c.done).toBe(true)
  })

  it('stop() ends a follow that waits at the end of the log', async () => {
    const cluster = new FakeCluster([5], [1])
    const c = cursor(0, 0, Number.POSITIVE_INFINITY)
    let fetcher!: Fetcher
    const seen: string[] = []
    fetcher = new Fetcher({
      consumer: cluster.client(),
      target: { bootstrapBrokers: ['b1:1'], local: false },
      topic: 't',
      cursors: [c],
      maxWaitMs: 1000,
      maxBytes: 1 << 20,
      isolation: 'read_committed',
      // At the end, a long-poll that never answers: only stop() can end the run.
      fetch: (conn, o) => (o.partitions[0]!.fetchOffset >= 5 ? new Promise<FetchResult>(() => undefined) : cluster.fetch(conn, o)),
      onRecord: (r) => {
        seen.push(r.buf.toString('utf8', r.valueStart, r.valueStart + r.valueLength))
        if (seen.length === 5) setTimeout(() => fetcher.stop(), 10)
        return true
      },
      ready: async () => undefined,
    })
    await fetcher.run()
    expectExactlyOnce(seen, { 0: [0, 5] })
    expect(c.position).toBe(5)
  })

  it('read_committed: asks the broker for it, drops the aborted transaction, and ends at a stop offset behind a trailing marker', async () => {
    const txn = (producerId: number, baseOffset: number, value: string): Buffer =>
      encodeRecordBatch({ baseOffset, producerId, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ value }] })
    const marker = (producerId: number, offset: number, committed: boolean): Buffer => {
      const b = encodeControlBatch({ producerId, producerEpoch: 0, committed, coordinatorEpoch: 0, timestampMs: 0 })
      b.writeBigInt64BE(BigInt(offset), 0)
      return b
    }
    // 0 p1 aborted, 1 p2 committed, 2 ABORT p1, 3 COMMIT p2: the last stable offset is 4.
    const log = [txn(1, 0, '0:0'), txn(2, 1, '0:1'), marker(1, 2, false), marker(2, 3, true)]
    const cluster = new FakeCluster([0], [1])
    const isolations: (string | undefined)[] = []
    const c = cursor(0, 0, 4)
    const seen: string[] = []
    const fetcher = new Fetcher({
      consumer: cluster.client(),
      target: { bootstrapBrokers: ['b1:1'], local: false },
      topic: 't',
      cursors: [c],
      maxWaitMs: 0,
      maxBytes: 1 << 20,
      isolation: 'read_committed',
      fetch: async (_conn, o) => {
        isolations.push(o.isolation)
        const from = o.partitions[0]!.fetchOffset
        return {
          errorCode: ErrorCode.NONE,
          partitions: [
            {
              partition: 0,
              errorCode: ErrorCode.NONE,
              highWatermark: 4,
              lastStableOffset: 4,
              logStartOffset: 0,
              abortedTransactions: from === 0 ? [{ producerId: 1, firstOffset: 0 }] : [],
              // One batch per answer: the last answer holds nothing but the trailing marker.
              records: log[from] ?? Buffer.alloc(0),
            },
          ],
        }
      },
      onRecord: (r) => {
        seen.push(r.buf.toString('utf8', r.valueStart, r.valueStart + r.valueLength))
        return true
      },
      ready: async () => undefined,
    })
    await fetcher.run()
    expect(seen).toEqual(['0:1'])
    expect(c).toMatchObject({ position: 4, done: true })
    expect(new Set(isolations)).toEqual(new Set(['read_committed']))
  })
})
