/**
 * The control plane's contract, shared by the daemon (which serves it), the client (which calls
 * it) and the commands and views on top: the wire format of the control socket, one map from
 * method name to its params and result, and the types those carry. The daemon's handlers and
 * the client's `call` are both typed from `ControlMethods`, so a renamed field or a wrong method
 * name does not compile on either side.
 *
 * Wire format: newline-delimited JSON over a Unix domain socket, one object per line:
 *   request   {"id":1,"method":"status","params":{}}
 *   response  {"id":1,"result":{...}}  or  {"id":1,"error":{"code":"...","message":"..."}}
 *   event     {"subscription":3,"event":"broker.killed","data":{...}}   (after a `subscribe`)
 * Events never carry an `id`, so a client tells them from responses by shape.
 *
 * A leaf: it imports types from cluster/ only.
 */
import type { ClusterEvent } from '../cluster/events.js'
import type { FailoverMeasured } from '../cluster/failover-tracker.js'

export type { ClusterEvent, FailoverMeasured }

// ---------------------------------------------------------------------------------------------
// The wire format

export type RequestId = number | string

export interface ControlRequest {
  id: RequestId
  method: string
  params?: Record<string, unknown>
}

export interface ControlErrorBody {
  code: string
  message: string
}

export type ControlResponse =
  | { id: RequestId | null; result: unknown }
  | { id: RequestId | null; error: ControlErrorBody }

export interface ControlEventMessage {
  subscription: RequestId
  event: string
  data: unknown
}

/** A line longer than this is a broken or hostile client; the connection is closed. */
export const CONTROL_LINE_BYTES_MAX = 1 << 20

// ---------------------------------------------------------------------------------------------
// What the methods carry

/** The daemon's lifecycle, as `status` reports it. */
export type DaemonState = 'starting' | 'ready' | 'stopping'

/**
 * A broker's state; starting: running but not registered yet (KRaft's STARTING: it retries while
 * the controller quorum has no majority); offline: its log dir failed (a full disk), it comes back
 * by itself once writes work again.
 */
export type BrokerState = 'up' | 'starting' | 'fenced' | 'paused' | 'killed' | 'offline'

export interface BrokerStatus {
  id: number
  host: string
  port: number
  state: BrokerState
  /** Why its log dir is offline (e.g. "disk full (ENOSPC) writing <file>"), or null. */
  logDirError: string | null
  connections: number
  /** Kafka requests dispatched since the daemon started. */
  requests: number
  /** The metadata offset its last heartbeat reported its image has applied (-1 before any). */
  metadataOffset: number
  /** How many committed metadata records that report is behind (null before any). */
  metadataLag: number | null
}

/** A broker as the broker methods answer it: its status, registration epoch, and how many partitions it leads / hosts. */
export interface BrokerInfo extends BrokerStatus {
  epoch: number
  leaderOf: number
  replicaOf: number
}

/** A partition as the controller's metadata has it. */
export interface PartitionState {
  topic: string
  partition: number
  /** -1 when the partition is offline. */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  /**
   * A reassignment in progress (empty when none): `replicas` is then the union of the old and the
   * target replicas; how far each adding replica is shows in the snapshot's replicaLogEndOffsets.
   */
  addingReplicas: number[]
  removingReplicas: number[]
}

/** A partition as `cluster.snapshot` shows it: the metadata plus the replicas' offsets. */
export interface PartitionSnapshot extends PartitionState {
  /** A topic of Kafka's own (__consumer_offsets). */
  internal: boolean
  /** The leader's; -1 when there is no live leader. */
  logStartOffset: number
  highWatermark: number
  logEndOffset: number
  /** Each replica's log end offset; null when its broker is down (or has not opened the log yet). */
  replicaLogEndOffsets: Record<string, number | null>
  /** Replicas that keep truncating and refetching the same records (see StuckReplica). */
  stuckReplicas: number[]
}

/** A follower that cannot converge with its leader: the same truncation keeps coming back. */
export interface StuckReplica {
  topic: string
  partition: number
  broker: number
  leader: number
  /** The follower's log end offset it truncates from, and the offset it truncates to. */
  fromOffset: number
  toOffset: number
  truncations: number
  sinceMs: number
}

/** A replica found corrupt and its recovery (broker/replica-recovery.ts), as the status shows it. */
export interface RecoveryStatus {
  broker: number
  topic: string
  partition: number
  /** The damaged range, inclusive. */
  firstOffset: number
  lastOffset: number
  reason: string
  state: 'recovering' | 'recovered' | 'unrecoverable'
  foundAt: string
  /** Where the replica's log was cut back to before fetching again from the leader. */
  truncatedTo: number | null
  recoveredAt: string | null
}

export interface ClusterStatus {
  brokers: BrokerStatus[]
  controllerId: number
  topics: number
  partitions: number
  /** Replicas that had to recover from corruption since the daemon started, oldest first. */
  recoveries: RecoveryStatus[]
}

/** The result of `status`. */
export interface DaemonStatus {
  pid: number
  home: string
  state: DaemonState
  /** ISO-8601 time the daemon process started. */
  startedAt: string
  uptimeMs: number
  bootstrap: string
  /** Whether every broker's group commits are fsynced before they are acknowledged (`daemon start --fsync`). */
  fsync: boolean
  /** Null until every broker listener is up. */
  cluster: ClusterStatus | null
}

/** What is wrong with the partitions (`sluice ui` marks them so too; cluster/partition-health.ts). */
export interface ClusterHealth {
  /** Partitions without a leader. */
  offline: PartitionState[]
  /** Partitions whose leader's broker is down (killed, paused, log dir offline) and not yet fenced. */
  leaderDown: PartitionState[]
  /** Partitions whose ISR is smaller than their replica set. */
  underReplicated: PartitionState[]
}

export interface ClusterStatusResult extends Omit<ClusterStatus, 'brokers'>, ClusterHealth {
  brokers: BrokerInfo[]
  /** Followers that keep truncating and refetching the same records without converging. */
  stuckReplicas: StuckReplica[]
}

/** Everything the dashboard (`sluice ui`) shows of the cluster, in one answer. */
export interface ClusterSnapshot extends ClusterHealth {
  /** The daemon's clock when the snapshot was taken (rates are computed on it). */
  timeMs: number
  controllerId: number
  brokers: BrokerInfo[]
  partitions: PartitionSnapshot[]
  stuckReplicas: StuckReplica[]
  lastFailover: FailoverMeasured | null
}

export interface BrokerListResult {
  controllerId: number
  brokers: BrokerInfo[]
}

/** A leadership move: by `cluster.failover`, a controlled shutdown, or a preferred election. */
export interface LeaderMove {
  topic: string
  partition: number
  from: number
  to: number
  leaderEpoch: number
}

/**
 * The answer of the broker actions (kill, start, pause, resume): the broker as it was before,
 * the leaderships that moved while the action ran, and every broker after it.
 */
export interface BrokerActionResult {
  id: number
  /** The broker's state before the action. */
  was: BrokerState
  /** How many partitions it led before the action. */
  wasLeaderOf: number
  moves: LeaderMove[]
  brokers: BrokerInfo[]
  /** `broker kill --clean` only: why the controlled shutdown fell back to a stop without it (the quorum could not commit); null when it did not. */
  uncontrolled?: string | null
}

/** A controller quorum voter's state: running, paused (cut off from the others: a hung process) or killed (down). */
export type ControllerState = 'running' | 'paused' | 'killed'

/** A controller quorum voter as `controller list` shows it. */
export interface ControllerInfo {
  id: number
  state: ControllerState
  /** Whether it leads the quorum now (the active controller). */
  leader: boolean
  /** The Raft epoch it is in; -1 while it is killed. */
  epoch: number
  /** Its Raft role (leader, follower, candidate, prospective, unattached, resigned); null while it is killed. */
  role: string | null
}

/** The answer of `controller.list`: the quorum's mode, its leader (-1: none) and every voter. */
export interface ControllerListResult {
  mode: 'combined' | 'dedicated'
  leaderId: number
  controllers: ControllerInfo[]
}

/** The answer of the controller actions (kill, start, pause, resume): the voter as it was, then every voter after. */
export interface ControllerActionResult extends ControllerListResult {
  id: number
  was: ControllerState
}

/** A partition's replicas moved by `broker remove --move` (or a rebalance): the replica set before and after. */
export interface ReplicaMove {
  topic: string
  partition: number
  from: number[]
  to: number[]
}

/** A move of a rebalance plan, with the bytes it copies: the leader's log size for each replica it adds. */
export interface RebalanceMove extends ReplicaMove {
  bytes: number
}

/** The answer of `cluster.rebalance`: the live brokers it spreads over, the plan, and whether it was submitted. */
export interface RebalanceResult {
  brokers: number[]
  moves: RebalanceMove[]
  submitted: boolean
}

/** A reassignment in progress, with how far each replica being added has copied. */
export interface ReassignmentProgress {
  topic: string
  partition: number
  /** The union of the old and the target replicas. */
  replicas: number[]
  addingReplicas: number[]
  removingReplicas: number[]
  isr: number[]
  leader: number
  /** The leader's; -1 and 0 when the leader is down. */
  leaderLogEndOffset: number
  leaderBytes: number
  /** Each replica being added: its log end offset and size (null when its broker is down or has not opened the log), and whether it is in sync. */
  adding: { broker: number; logEndOffset: number | null; bytes: number | null; inIsr: boolean }[]
}

/** The answer of `broker.add`: the new broker, and every broker after it. */
export interface BrokerAddResult {
  id: number
  host: string
  port: number
  controllerId: number
  brokers: BrokerInfo[]
}

/** The answer of `broker.remove`: the replicas moved off it first (with `move`), and every broker after. */
export interface BrokerRemoveResult {
  id: number
  moved: RebalanceMove[]
  controllerId: number
  brokers: BrokerInfo[]
}

export interface FailoverResult {
  moves: LeaderMove[]
}

export interface ElectLeadersResult {
  /** How many partitions changed leader. */
  moved: number
  /** The moves, as seen by comparing the partitions before and after the election. */
  moves: LeaderMove[]
}

export interface ClusterPartitionsResult {
  partitions: PartitionState[]
  /** Partitions whose leader's broker is down (killed, paused, log dir offline) and not yet fenced. */
  leaderDown: PartitionState[]
}

export type FaultSpec =
  | { kind: 'latency'; broker?: number; link?: [number, number]; latencyMs: number; jitterMs?: number }
  | { kind: 'cut'; link: [number, number] }
  | { kind: 'error'; broker: number; api: string; error: string; count: number }

/** A fault in force; `remaining` counts down the requests an error fault still answers. */
export type Fault = FaultSpec & { id: number; seed: number; createdAt: string; remaining?: number }

/** Params of `subscribe`: event names to receive; a name ending in '.' is a prefix. Absent = all. */
export interface SubscribeParams {
  events?: string[]
}

export interface SubscribeResult {
  subscription: RequestId
}

// ---------------------------------------------------------------------------------------------
// The methods

/** No params. */
export type NoParams = Record<string, never>

/** A contract: method name to its params and result. */
export type MethodMap = Record<string, { params: object; result: unknown }>

// A type, not an interface, so that it is assignable to MethodMap (an index signature).
export type ControlMethods = {
  status: { params: NoParams; result: DaemonStatus }
  /** Answers, then stops the daemon. */
  stop: { params: NoParams; result: { pid: number; stopping: true } }
  /** Streams events on this connection, after the answer (see SubscribeParams). */
  subscribe: { params: SubscribeParams; result: SubscribeResult }
  unsubscribe: { params: { subscription: RequestId }; result: { unsubscribed: boolean } }

  'broker.list': { params: NoParams; result: BrokerListResult }
  /** A crash, or a controlled shutdown with `clean` (leaderships move first). */
  'broker.kill': { params: { id: number; clean?: boolean }; result: BrokerActionResult }
  'broker.start': { params: { id: number }; result: BrokerActionResult }
  'broker.pause': { params: { id: number }; result: BrokerActionResult }
  'broker.resume': { params: { id: number }; result: BrokerActionResult }
  /** Starts a new, empty broker: the next id, the next free port after the highest; saved in the home. */
  'broker.add': { params: NoParams; result: BrokerAddResult }
  /**
   * Decommissions a broker: refused (BROKER_NOT_EMPTY) while it holds replicas, unless `move`
   * moves them to the other brokers first; then it stops, is unregistered, and leaves the home.
   */
  'broker.remove': { params: { id: number; move?: boolean }; result: BrokerRemoveResult }

  /** The controller quorum's voters (either mode). */
  'controller.list': { params: NoParams; result: ControllerListResult }
  /** Dedicated mode only (combined: USAGE, the voter is a broker's): a crash, or a clean stop (resigning first) with `clean`. */
  'controller.kill': { params: { id: number; clean?: boolean }; result: ControllerActionResult }
  'controller.start': { params: { id: number }; result: ControllerActionResult }
  'controller.pause': { params: { id: number }; result: ControllerActionResult }
  'controller.resume': { params: { id: number }; result: ControllerActionResult }

  'cluster.status': { params: NoParams; result: ClusterStatusResult }
  'cluster.snapshot': { params: NoParams; result: ClusterSnapshot }
  /** The metadata log told as events, with the runtime events merged in by time, oldest first. */
  'cluster.events': { params: NoParams; result: { events: ClusterEvent[] } }
  'cluster.partitions': { params: NoParams; result: ClusterPartitionsResult }
  /** One partition's leadership, or (no partition) every partition the topic's busiest leader leads. */
  'cluster.failover': { params: { topic: string; partition?: number; to?: number }; result: FailoverResult }
  /** Preferred-leader election, of every partition or one topic's. */
  'cluster.elect-leaders': { params: { topic?: string }; result: ElectLeadersResult }
  /**
   * Plans moves that spread replicas, then preferred leaders, evenly over the live brokers (every
   * partition, or one topic's), and submits them as reassignments unless `dryRun`.
   */
  'cluster.rebalance': { params: { topic?: string; dryRun?: boolean }; result: RebalanceResult }
  /** The reassignments in progress, with the bytes each replica being added has copied. */
  'cluster.reassignments': { params: NoParams; result: { reassignments: ReassignmentProgress[] } }

  'fault.add': { params: { spec: FaultSpec; seed?: number }; result: { fault: Fault } }
  'fault.list': { params: NoParams; result: { faults: Fault[] } }
  /** One fault by id, or every fault. */
  'fault.clear': { params: { id?: number }; result: { cleared: number } }
}

export type Method = keyof ControlMethods
export type Params<M extends Method> = ControlMethods[M]['params']
export type Result<M extends Method> = ControlMethods[M]['result']

/** The methods the control server serves itself, for any contract. */
export type SubscriptionMethod = 'subscribe' | 'unsubscribe'
/** The methods of the daemon process, served from its start. */
export type DaemonMethod = 'status' | 'stop'
/** The methods of the cluster, served once it is up. */
export type ClusterMethod = Exclude<Method, SubscriptionMethod | DaemonMethod>
