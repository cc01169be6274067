/**
 * The controller quorum told as events, for `sluice cluster events` and the ui's event pane: a
 * leader elected, a voter down or up, metadata frozen for lack of a majority and recovered. Pure:
 * fed with the voters' state changes (elections) and, after every broker action and on the
 * controller's tick, with which voters run; it emits what changed.
 *
 * These are runtime events, not metadata records: KRaft writes a LeaderChange entry per epoch in
 * the quorum's log, but sluice's metadata offsets skip those (daemon/quorum-metadata-log.ts), and
 * a voter going down writes nothing anywhere.
 *
 * "Frozen" counts running voters: fewer than a majority and no leader can be elected, so no
 * metadata change commits. A quorum split by cut links while every voter runs is not told frozen
 * (a majority may still reach each other): its leader events tell it.
 */
import type { QuorumState } from './raft/quorum-state.js'
import type { QuorumView } from './raft/quorum-view.js'

export type QuorumEventType = 'quorum.leader' | 'quorum.voter.down' | 'quorum.voter.up' | 'quorum.frozen' | 'quorum.recovered'

export type QuorumEventSink = (type: QuorumEventType, fields: Record<string, unknown>, message: string) => void

export class QuorumEvents {
  /** The last leader told, and its epoch; null before the first. */
  private leader: { id: number; epoch: number } | null = null
  /** The voters running at the last check: every one when the quorum starts. */
  private running: Set<number>
  private frozen = false

  constructor(
    private readonly voterIds: readonly number[],
    private readonly emit: QuorumEventSink,
  ) {
    this.running = new Set(voterIds)
  }

  private get majority(): number {
    return Math.floor(this.voterIds.length / 2) + 1
  }

  /**
   * Voter `voterId` changed state: told when it became the leader of an epoch later than the last
   * leader told (one leader per epoch; a restarted voter repeating its state tells nothing).
   */
  voterState(voterId: number, prev: Readonly<QuorumState>, next: Readonly<QuorumState>): void {
    if (next.role !== 'leader' || prev.role === 'leader') return
    if (this.leader && next.epoch <= this.leader.epoch) return
    const was = this.leader?.id ?? null
    this.leader = { id: voterId, epoch: next.epoch }
    const since = was === null ? '' : was === voterId ? ' (again)' : ` (was voter ${was})`
    this.emit(
      'quorum.leader',
      { leaderId: voterId, epoch: next.epoch, previousLeaderId: was, voters: [...this.voterIds] },
      `controller quorum: voter ${voterId} leads epoch ${next.epoch}${since}`,
    )
  }

  /**
   * Compares the voters that run now (`view`'s running voters that `reachable` says are not cut
   * off from all: a paused broker's voter hangs) with the last check: each voter that went down
   * or came up, then the quorum frozen or recovered when the count crossed a majority.
   */
  check(view: QuorumView, reachable: (voterId: number) => boolean): void {
    const now = new Set(view.voters.filter((v) => v.running && reachable(v.id)).map((v) => v.id))
    const total = this.voterIds.length
    const fields = (): Record<string, unknown> => ({ running: [...now].sort((a, b) => a - b), voters: [...this.voterIds] })
    for (const id of this.voterIds) {
      if (this.running.has(id) === now.has(id)) continue
      const up = now.has(id)
      this.emit(up ? 'quorum.voter.up' : 'quorum.voter.down', { voter: id, ...fields() }, `controller quorum: voter ${id} ${up ? 'up' : 'down'} (${now.size} of ${total} running)`)
    }
    this.running = now
    const frozen = now.size < this.majority
    if (frozen === this.frozen) return
    this.frozen = frozen
    if (frozen) {
      this.emit('quorum.frozen', { ...fields(), needed: this.majority }, `metadata frozen: ${now.size} of ${total} voters running (a leader needs ${this.majority})`)
    } else {
      this.emit('quorum.recovered', { ...fields(), needed: this.majority }, `metadata recovered: ${now.size} of ${total} voters running, a leader can be elected`)
    }
  }
}
