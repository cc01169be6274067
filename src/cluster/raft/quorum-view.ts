/**
 * The controller quorum as its leader sees it: what DescribeQuorum (API 55) answers, and so what
 * `sluice cluster quorum` and the ui's quorum pane show. The quorum's metadata log builds it
 * (`daemon/quorum-metadata-log.ts` `describe()`); a broker reaches it through its ClusterView.
 * Offsets are Raft offsets of `__cluster_metadata` (LeaderChange entries count), as in Kafka.
 */

/** One replica of the metadata log (a voter, or an observer): the leader's view of it. */
export interface QuorumVoterView {
  id: number
  /** Started, and not stopped on its own (a store write failed). */
  running: boolean
  /** Its log end: the offset its last fetch in this epoch asked from (the leader's own log end for the leader); -1 when not known. */
  logEndOffset: number
  /** When it last fetched from this epoch's leader (ms, the Scheduler's clock; the leader's own is now, as in Kafka); null when it has not. */
  lastFetchMs: number | null
  /**
   * When it last had everything the leader had (KIP-836's last caught-up time: a fetch from at or
   * past the leader's log end then); null when it has not in this epoch (the leader's own is now,
   * as in Kafka).
   */
  lastCaughtUpMs: number | null
}

export interface QuorumView {
  /** null: no voter leads (an election runs, or no majority is up: metadata is frozen). */
  leaderId: number | null
  epoch: number
  /** The leader's high watermark (Raft offsets); -1 without a leader. */
  highWatermark: number
  voters: QuorumVoterView[]
  /** Replicas that fetch the log without voting (Kafka's brokers in KRaft); absent: none tracked. */
  observers?: QuorumVoterView[]
}

/**
 * The quorum of a cluster whose metadata log is one store, not a Raft quorum: its one controller
 * is the only voter, and leads epoch 1 with everything committed (the high watermark is the log's
 * next offset). No controller (`controllerId` -1): no leader.
 */
export function singleVoterQuorum(controllerId: number, nextOffset: number, nowMs: number): QuorumView {
  if (controllerId < 0) return { leaderId: null, epoch: 1, highWatermark: -1, voters: [] }
  return {
    leaderId: controllerId,
    epoch: 1,
    highWatermark: nextOffset,
    voters: [{ id: controllerId, running: true, logEndOffset: nextOffset, lastFetchMs: nowMs, lastCaughtUpMs: nowMs }],
  }
}
