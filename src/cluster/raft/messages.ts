/**
 * The quorum's messages, as plain objects (KIP-595, KIP-630, KIP-996): the fields sluice's Raft
 * node needs from Kafka's VoteRequest, BeginQuorumEpochRequest, EndQuorumEpochRequest,
 * FetchRequest and FetchSnapshotRequest schemas and their responses. The transport that carries
 * them (a test network, later the daemon's listener) is not here.
 *
 * Not modelled: batching, record encoding, snapshot chunks (a FetchSnapshot answer carries the
 * whole snapshot), voter directory ids, and Fetch long polling (a follower polls; see node.ts).
 */
import type { RaftLogEntry, RaftSnapshotRecord } from './log-store.js'

/** Where a replica's log ends and the epoch of its last entry: what a vote compares. */
export interface OffsetAndEpoch {
  offset: number
  epoch: number
}

interface Envelope {
  from: number
  to: number
}

/**
 * A (pre-)vote. A pre-vote (KIP-996) asks "would you vote for me in `epoch`" and changes nothing
 * on the voter; `epoch` is then the epoch the prospective candidate would run in.
 */
export interface VoteRequest extends Envelope {
  type: 'Vote'
  epoch: number
  preVote: boolean
  lastEpoch: number
  endOffset: number
}

export interface VoteResponse extends Envelope {
  type: 'VoteResponse'
  /** The voter's epoch after handling the request. */
  epoch: number
  leaderId: number | null
  preVote: boolean
  /** The epoch the request asked about, so that a late answer to an older round is dropped. */
  requestEpoch: number
  granted: boolean
}

export interface BeginQuorumEpochRequest extends Envelope {
  type: 'BeginQuorumEpoch'
  epoch: number
  leaderId: number
}

export interface BeginQuorumEpochResponse extends Envelope {
  type: 'BeginQuorumEpochResponse'
  epoch: number
}

/** A leader resigning (graceful shutdown): its voters need not wait out a fetch timeout. */
export interface EndQuorumEpochRequest extends Envelope {
  type: 'EndQuorumEpoch'
  epoch: number
  leaderId: number
  /** Voters ordered by how far their log reached, best first: the first one campaigns first. */
  preferredSuccessors: number[]
}

export interface FetchRequest extends Envelope {
  type: 'Fetch'
  epoch: number
  /** Tells a response to this fetch from one to an older fetch that arrives late. */
  fetchId: number
  /** The fetcher's log end: every entry below it is durable on the fetcher. */
  fetchOffset: number
  lastFetchedEpoch: number
}

export type FetchError = 'NONE' | 'NOT_LEADER_OR_FOLLOWER' | 'FENCED_LEADER_EPOCH'

export interface FetchResponse extends Envelope {
  type: 'FetchResponse'
  error: FetchError
  epoch: number
  leaderId: number | null
  fetchId: number
  fetchOffset: number
  highWatermark: number
  entries: RaftLogEntry[]
  /** Set when the fetcher's log diverged: truncate to `endOffset` (at most) and fetch again. */
  divergingEpoch: OffsetAndEpoch | null
  /** Set when the fetcher is behind the leader's log start: fetch this snapshot. */
  snapshotId: OffsetAndEpoch | null
}

export interface FetchSnapshotRequest extends Envelope {
  type: 'FetchSnapshot'
  epoch: number
  snapshotId: OffsetAndEpoch
}

export interface FetchSnapshotResponse extends Envelope {
  type: 'FetchSnapshotResponse'
  epoch: number
  leaderId: number | null
  /** Null when the asked for snapshot is gone (the fetcher fetches again and is told the newer one). */
  snapshot: RaftSnapshotRecord | null
}

export type RaftMessage =
  | VoteRequest
  | VoteResponse
  | BeginQuorumEpochRequest
  | BeginQuorumEpochResponse
  | EndQuorumEpochRequest
  | FetchRequest
  | FetchResponse
  | FetchSnapshotRequest
  | FetchSnapshotResponse
