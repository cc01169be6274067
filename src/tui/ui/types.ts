/**
 * What `sluice ui` reads from the daemon's control socket: the `cluster.snapshot` answer and the
 * cluster events (metadata-log events and runtime events such as `broker.killed` and
 * `failover.measured`). The daemon side (src/daemon/cluster-control.ts) is the contract; these
 * types mirror it so the view can be built and tested with fixtures.
 */
import type { PartitionState } from '../../client/local.js'

export type BrokerState = 'up' | 'fenced' | 'paused' | 'killed'

export interface SnapshotBroker {
  id: number
  host: string
  port: number
  state: BrokerState
  epoch: number
  connections: number
  /** Kafka requests answered since the daemon started (a counter: rates come from deltas). */
  requests: number
  leaderOf: number
  replicaOf: number
}

export interface SnapshotPartition {
  topic: string
  partition: number
  internal: boolean
  /** -1: no leader (offline). */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  /** The leader's offsets; -1 when there is no leader. */
  logStartOffset: number
  highWatermark: number
  logEndOffset: number
  /** Each replica's LEO; null when that broker is down. */
  replicaLogEndOffsets: Record<string, number | null>
}

/** How long a partition had no leader, and producers could not write, around one election. */
export interface FailoverMeasured {
  topic: string
  partition: number
  from: number
  to: number
  leaderEpoch: number
  leaderLostAt: string
  electedAt: string
  noLeaderMs: number
  /** null: no producer was writing to the partition. */
  unwritableMs: number | null
  lastWriteAt: string | null
  firstWriteAt: string | null
  message: string
}

export interface ClusterSnapshot {
  /** The daemon's clock when the snapshot was taken (rates are computed on it). */
  timeMs: number
  controllerId: number
  brokers: SnapshotBroker[]
  partitions: SnapshotPartition[]
  offline: PartitionState[]
  underReplicated: PartitionState[]
  lastFailover: FailoverMeasured | null
}

/** A cluster event as the event log shows it (a metadata-log event or a runtime event). */
export interface UiEvent {
  timestamp: string
  type: string
  message: string
  [field: string]: unknown
}

/** Whether the control connection is up; `lost` keeps the last data on screen. */
export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'lost'; sinceMs: number; error: string }

export interface GroupLagTopic {
  topic: string
  lag: number
}

export interface GroupRow {
  group: string
  state: string
  members: number
  /** null: not described (yet), or describing it failed. */
  lag: number | null
  topics: GroupLagTopic[]
}

export interface GroupsState {
  groups: GroupRow[]
  /** The last refresh's error, shown in the groups pane (the last groups stay). */
  error: string | null
  /** Daemon-independent wall clock of the last successful refresh. */
  updatedAtMs: number | null
}

/** An action the dashboard can ask for; `describe` says it in the confirmation and the footer. */
export type UiAction =
  | { kind: 'kill'; broker: number }
  | { kind: 'start'; broker: number }
  | { kind: 'pause'; broker: number }
  | { kind: 'resume'; broker: number }
  | { kind: 'failover'; topic: string; partition: number }

/** Runs an action; resolves with a one-line result for the footer, rejects with the error. */
export type RunAction = (action: UiAction) => Promise<string>
