/** Snapshot fixtures for the `sluice ui` tests: a 3-broker cluster, healthy or after a kill. */
import type { ClusterSnapshot, FailoverMeasured, SnapshotBroker, SnapshotPartition, UiEvent } from '../../src/tui/ui/types.js'

export function broker(id: number, over: Partial<SnapshotBroker> = {}): SnapshotBroker {
  return { id, host: '127.0.0.1', port: 9091 + id, state: 'up', logDirError: null, epoch: 0, connections: 2, requests: 0, metadataOffset: 10, metadataLag: 0, leaderOf: 1, replicaOf: 3, ...over }
}

export function partition(topic: string, p: number, over: Partial<SnapshotPartition> = {}): SnapshotPartition {
  const replicas = over.replicas ?? [((p + 0) % 3) + 1, ((p + 1) % 3) + 1, ((p + 2) % 3) + 1]
  return {
    topic,
    partition: p,
    internal: topic.startsWith('__'),
    leader: replicas[0]!,
    leaderEpoch: 0,
    replicas,
    isr: replicas,
    addingReplicas: [],
    removingReplicas: [],
    logStartOffset: 0,
    highWatermark: 0,
    logEndOffset: 0,
    replicaLogEndOffsets: Object.fromEntries(replicas.map((r) => [String(r), 0])),
    stuckReplicas: [],
    ...over,
  }
}

export const T0 = Date.parse('2026-12-01T10:00:00.000Z')

export const FAILOVER: FailoverMeasured = {
  topic: 'orders',
  partition: 0,
  from: 1,
  to: 2,
  leaderEpoch: 1,
  leaderLostAt: '2026-12-01T10:00:20.000Z',
  electedAt: '2026-12-01T10:00:21.250Z',
  noLeaderMs: 1_250,
  unwritableMs: 1_730,
  lastWriteAt: '2026-12-01T10:00:19.900Z',
  firstWriteAt: '2026-12-01T10:00:21.630Z',
  message: 'orders-0 had no leader for 1250 ms; producers could not write for 1730 ms',
}

/**
 * The cluster `dtMs` after T0 with `orders` growing by `ratePerSec` records/s per partition:
 * broker 1 killed, orders-0 under-replicated (leader moved to 2), payments-0 offline, and the
 * internal topic folded away by default.
 */
export function snapshotAt(dtMs: number, opts: { ratePerSec?: number; killed?: boolean } = {}): ClusterSnapshot {
  const rate = opts.ratePerSec ?? 100
  const hwm = Math.round((rate * dtMs) / 1_000)
  const killed = opts.killed ?? false
  const partitions = [
    partition('orders', 0, killed ? { leader: 2, leaderEpoch: 1, isr: [2, 3], highWatermark: hwm, logEndOffset: hwm } : { highWatermark: hwm, logEndOffset: hwm }),
    partition('orders', 1, { highWatermark: hwm, logEndOffset: hwm + 3 }),
    partition('orders', 2, { highWatermark: 42, logEndOffset: 42 }),
    partition('payments', 0, killed ? { replicas: [1], isr: [1], leader: -1, highWatermark: -1, logEndOffset: -1, logStartOffset: -1 } : { replicas: [1], isr: [1], leader: 1 }),
    partition('__consumer_offsets', 0),
    partition('__consumer_offsets', 1),
  ]
  const offline = partitions.filter((p) => p.leader < 0)
  const under = partitions.filter((p) => p.leader >= 0 && p.isr.length < p.replicas.length)
  return {
    timeMs: T0 + dtMs,
    controllerId: 2,
    brokers: [
      broker(1, killed ? { state: 'killed', connections: 0, leaderOf: 0, requests: 500 } : { requests: 500 + Math.round(dtMs / 100) }),
      broker(2, { requests: Math.round(dtMs / 10), leaderOf: killed ? 2 : 1 }),
      broker(3, { state: 'paused', requests: 7 }),
    ],
    partitions,
    offline,
    underReplicated: under,
    leaderDown: [],
    stuckReplicas: [],
    lastFailover: killed ? FAILOVER : null,
  }
}

export const EVENTS: UiEvent[] = [
  { timestamp: '2026-12-01T10:00:05.000Z', type: 'topic.created', offset: 10, message: 'topic orders created' },
  { timestamp: '2026-12-01T10:00:20.000Z', type: 'broker.killed', broker: 1, clean: false, message: 'broker 1 killed (a crash)' },
  { timestamp: '2026-12-01T10:00:21.250Z', type: 'broker.fenced', offset: 11, broker: 1, message: 'broker 1 fenced' },
  {
    timestamp: '2026-12-01T10:00:21.250Z',
    type: 'leader.changed',
    offset: 12,
    message: 'leader of orders-0 moved from 1 to 2 at epoch 1 (broker 1 session timed out)',
  },
  { timestamp: '2026-12-01T10:00:21.250Z', type: 'isr.shrunk', offset: 12, message: 'ISR of orders-0 shrunk from [1,2,3] to [2,3] (broker 1 session timed out)' },
]
