/**
 * How the controller quorum's voters exchange their Raft messages (src/cluster/raft/messages.ts).
 * In process for now, delivered through the Scheduler (virtual time in tests and the simulation);
 * a later step carries them over the brokers' link, where faults can cut or delay them.
 */
import type { RaftMessage } from '../cluster/raft/messages.js'
import type { Scheduler } from '../cluster/scheduler.js'

/** How the voters' messages travel. */
export interface QuorumTransport {
  /** Voter `id`'s inbox (a new incarnation replaces the last); null: the voter is down and what is sent to it is lost. */
  attach(id: number, receive: ((msg: RaftMessage) => void) | null): void
  send(msg: RaftMessage): void
}

/**
 * In-process delivery: each message arrives through a Scheduler timer, to the voter attached when
 * it arrives. An isolated voter (its broker paused: a hung process answers nothing) neither
 * sends nor receives: what is sent from or to it is lost, as on a cut link.
 */
export class InProcessTransport implements QuorumTransport {
  private readonly inboxes = new Map<number, (msg: RaftMessage) => void>()
  private readonly isolated = new Set<number>()

  constructor(
    private readonly scheduler: Scheduler,
    private readonly delayMs: () => number = () => 0,
  ) {}

  attach(id: number, receive: ((msg: RaftMessage) => void) | null): void {
    if (receive) this.inboxes.set(id, receive)
    else this.inboxes.delete(id)
  }

  /** Cuts voter `id` off (true) or joins it again (false). */
  isolate(id: number, on: boolean): void {
    if (on) this.isolated.add(id)
    else this.isolated.delete(id)
  }

  send(msg: RaftMessage): void {
    if (this.isolated.has(msg.from)) return
    this.scheduler.setTimer(() => {
      if (!this.isolated.has(msg.to) && !this.isolated.has(msg.from)) this.inboxes.get(msg.to)?.(msg)
    }, this.delayMs())
  }
}
