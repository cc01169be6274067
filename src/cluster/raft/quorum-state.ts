/**
 * The quorum state of one replica (KRaft's QuorumState and its EpochStates): the epoch, the vote
 * cast in it, the leader known in it, and the role. Transitions are pure functions returning the
 * next state and whether it must be made durable before the replica says anything more; the
 * decision on a (pre-)vote request lives here too. Timers and messages are the node's.
 *
 * Roles, as KRaft's: unattached (an epoch, no leader known yet), prospective (KIP-996: asking for
 * pre-votes), candidate (voted for itself in a new epoch), leader, follower, resigned (a leader
 * that stepped down or restarted; it waits for a new leader or an election timeout). Observers
 * (replicas outside the voter set) are only ever unattached or followers.
 */
import type { QuorumStateRecord } from './log-store.js'
import { isLogUpToDate } from './raft-log.js'
import type { OffsetAndEpoch } from './messages.js'

export type RaftRole = 'unattached' | 'prospective' | 'candidate' | 'leader' | 'follower' | 'resigned'

export interface QuorumState {
  role: RaftRole
  epoch: number
  votedFor: number | null
  leaderId: number | null
}

export function toRecord(s: QuorumState): QuorumStateRecord {
  return { epoch: s.epoch, votedFor: s.votedFor, leaderId: s.leaderId }
}

/**
 * The state a replica restarts in: the leader of the stored epoch restarts resigned (it lost its
 * replication state and must not lead again in that epoch); a follower follows the stored leader.
 */
export function restoredState(id: number, record: QuorumStateRecord | null): QuorumState {
  if (!record) return { role: 'unattached', epoch: 0, votedFor: null, leaderId: null }
  const { epoch, votedFor, leaderId } = record
  if (leaderId === id) return { role: 'resigned', epoch, votedFor, leaderId }
  if (leaderId !== null) return { role: 'follower', epoch, votedFor, leaderId }
  return { role: 'unattached', epoch, votedFor, leaderId: null }
}

/** A higher epoch seen: no vote, no leader yet. */
export const unattached = (epoch: number): QuorumState => ({ role: 'unattached', epoch, votedFor: null, leaderId: null })

/** Follows `leaderId` in `epoch`, keeping the vote cast in that epoch if the epoch is the same. */
export function follower(s: QuorumState, epoch: number, leaderId: number): QuorumState {
  return { role: 'follower', epoch, votedFor: epoch === s.epoch ? s.votedFor : null, leaderId }
}

/** A pre-vote round changes nothing durable: the epoch is only bumped once a majority agrees. */
export const prospective = (s: QuorumState): QuorumState => ({ ...s, role: 'prospective' })

export const candidate = (s: QuorumState, id: number): QuorumState => ({
  role: 'candidate',
  epoch: s.epoch + 1,
  votedFor: id,
  leaderId: null,
})

export const leader = (s: QuorumState, id: number): QuorumState => ({ ...s, role: 'leader', leaderId: id })

export const resigned = (s: QuorumState): QuorumState => ({ ...s, role: 'resigned' })

export interface VoteDecision {
  granted: boolean
  /** The state after the request (a higher epoch moves the voter there first). */
  next: QuorumState
}

/**
 * A voter's answer to a (pre-)vote. A real vote in a higher epoch moves the voter to that epoch
 * first; it is granted once per epoch, to a candidate whose log is at least as up to date, and not
 * while a leader of that epoch is known. A pre-vote moves nothing and is refused while this voter
 * hears from a leader (`leaderAlive`), so that a replica cut off for a while cannot disrupt a
 * healthy quorum when it comes back (KIP-996).
 */
export function decideVote(
  s: QuorumState,
  req: { from: number; epoch: number; preVote: boolean; last: OffsetAndEpoch },
  local: OffsetAndEpoch,
  leaderAlive: boolean,
): VoteDecision {
  const upToDate = isLogUpToDate(req.last, local)
  if (req.preVote) {
    const granted = req.epoch > s.epoch && !leaderAlive && upToDate
    return { granted, next: s }
  }
  if (req.epoch < s.epoch) return { granted: false, next: s }
  const next = req.epoch > s.epoch ? unattached(req.epoch) : s
  if (next.votedFor === req.from) return { granted: true, next }
  const canVote = next.votedFor === null && next.leaderId === null && next.role !== 'leader' && next.role !== 'candidate'
  if (!canVote || !upToDate) return { granted: false, next }
  return { granted: true, next: { ...next, votedFor: req.from } }
}
