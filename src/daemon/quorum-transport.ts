/**
 * How the controller quorum's voters exchange their Raft messages (src/cluster/raft/messages.ts).
 * In process, delivered through the Scheduler (virtual time in tests and the simulation), through
 * the same edge faults as the brokers' links: a cut link (`fault add cut`) between two voters, or
 * a voter cut off from all (its broker paused), loses what is sent between them.
 */
import type { RaftMessage } from '../cluster/raft/messages.js'
import type { Scheduler } from '../cluster/scheduler.js'
import type { LinkFaults } from './links.js'

/** How the voters' messages travel. */
export interface QuorumTransport {
  /** Voter `id`'s inbox (a new incarnation replaces the last); null: the voter is down and what is sent to it is lost. */
  attach(id: number, receive: ((msg: RaftMessage) => void) | null): void
  send(msg: RaftMessage): void
}

/** No cut links: the simulation and the tests that drop or isolate voters themselves. */
const NO_CUTS: Pick<LinkFaults, 'isCut'> = { isCut: () => false }

/**
 * In-process delivery: each message arrives through a Scheduler timer, to the voter attached when
 * it arrives. An isolated voter (its broker paused: a hung process answers nothing) neither
 * sends nor receives, and a cut link carries nothing either way: what is sent is lost, whether
 * the cut was there when it left or came while it travelled. Raft's own retries (fetch and
 * request timeouts, elections) carry the quorum across, as over a real network.
 */
export class InProcessTransport implements QuorumTransport {
  private readonly inboxes = new Map<number, (msg: RaftMessage) => void>()
  private readonly isolated = new Set<number>()

  constructor(
    private readonly scheduler: Scheduler,
    private readonly delayMs: () => number = () => 0,
    /** The links between voters: in combined mode voter ids are their brokers' ids; dedicated controllers' ids (3000..) name no broker link, so no cut reaches them. */
    private readonly links: Pick<LinkFaults, 'isCut'> = NO_CUTS,
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

  /** Whether voter `id` is cut off from every other (`isolate`). */
  isIsolated(id: number): boolean {
    return this.isolated.has(id)
  }

  send(msg: RaftMessage): void {
    if (!this.carries(msg)) return
    this.scheduler.setTimer(() => {
      if (this.carries(msg)) this.inboxes.get(msg.to)?.(msg)
    }, this.delayMs())
  }

  private carries(msg: RaftMessage): boolean {
    return !this.isolated.has(msg.from) && !this.isolated.has(msg.to) && !this.links.isCut(msg.from, msg.to)
  }
}
