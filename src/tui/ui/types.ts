/**
 * What `sluice ui` reads from the daemon's control socket: the `cluster.snapshot` answer and the
 * cluster events (metadata-log events and runtime events such as `broker.killed` and
 * `failover.measured`), as the control contract (src/common/control-contract.ts) types them; the
 * view's own state types follow.
 */
import type { BrokerInfo, BrokerState, ClusterSnapshot, FailoverMeasured, PartitionSnapshot } from '../../common/control-contract.js'

export type { BrokerState, ClusterSnapshot, FailoverMeasured }

/** A broker: state, epoch, connections, requests answered since the daemon started, partitions led/hosted. */
export type SnapshotBroker = BrokerInfo
/** A partition: leader, replicas, ISR, and the leader's and each replica's offsets. */
export type SnapshotPartition = PartitionSnapshot

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
  /**
   * True: the last refresh could not describe or list it (its coordinator is moving during a
   * failover): the row shows what was last known, marked stale, instead of disappearing.
   */
  stale?: boolean
}

export interface GroupsState {
  groups: GroupRow[]
  /** The last refresh's error, shown in the groups pane (the last groups stay). */
  error: string | null
  /** Daemon-independent wall clock of the last successful refresh. */
  updatedAtMs: number | null
}

/** An open transaction as the transactions pane shows it. */
export interface TxnRow {
  transactionalId: string
  state: string
  /** How long it has been open (at the last refresh); null when the coordinator gives no start time. */
  ageMs: number | null
  timeoutMs: number
  /** Partitions it has written to. */
  partitions: number
  /** Open longer than its timeout. */
  hung: boolean
}

export interface TxnsState {
  /** The transactions not yet ended, hung first, then the oldest. */
  transactions: TxnRow[]
  /** The last refresh's error, shown in the pane (the last transactions stay). */
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

/** A voter as the quorum pane shows it. */
export interface QuorumRow {
  id: number
  status: 'Leader' | 'Follower'
  logEndOffset: number
  /** The leader's log end offset minus this voter's. */
  lag: number
  /** How long before the refresh it last fetched from the leader; null when unknown. */
  fetchedAgoMs: number | null
}

/** The controller quorum as the last DescribeQuorum told it. */
export interface QuorumSummary {
  leaderId: number
  epoch: number
  highWatermark: number
  maxFollowerLag: number
  voters: QuorumRow[]
}

export interface QuorumState {
  /** The last answer with a leader (kept, dimmed, while frozen or failing); null before one. */
  quorum: QuorumSummary | null
  /** The quorum has no leader (no majority of the controllers up, or an election): metadata changes wait. */
  frozen: boolean
  /** The last refresh's error other than no leader. */
  error: string | null
  /** Daemon-independent wall clock of the last refresh that got an answer (a leader or none). */
  updatedAtMs: number | null
}
