/**
 * The controller quorum in the simulation (issue 16): the node's metadata log is a
 * QuorumMetadataLog (src/daemon/quorum-metadata-log.ts) on three voters, each on a
 * MemoryRaftLogStore whose writes become durable after a seeded delay (a crash loses the rest),
 * exchanging their messages through the in-process transport with seeded delays, all on the
 * simulation's virtual time. Voters are dedicated controllers (ids of their own, not brokers):
 * their faults are actions of their own, apart from the brokers' crashes.
 *
 * Faults, drawn from a stream of their own (a seed without the quorum replays as before it):
 * crash the leader (most often), crash any voter, crash a majority, stop the leader cleanly (it
 * resigns first), restart a voter, pause and resume one. A paused voter is held at the transport:
 * what it sends and what is sent to it waits until it resumes, then goes in order. Its own timers
 * go on (the quorum log runs every voter on one scheduler), so it is a voter behind a stalled link
 * that wakes up with its messages late, more than a SIGSTOPped process.
 *
 * Checks, on top of the cluster's (invariants.ts): the controller applies exactly what the quorum
 * committed, in order, and nothing committed goes unapplied once the cluster has caught up; at
 * most one leader per epoch as the log sees it. Counted: voter crashes, restarts, pauses, and
 * leader changes.
 *
 * Snapshots only when a run asks for them (`snapshotBytes`, SLUICE_SIM_SNAPSHOT_BYTES): a voter
 * down while the others snapshotted then catches up by FetchSnapshot, under the same faults.
 */
import type { MetadataRecord } from '../../src/cluster/metadata.js'
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import type { RaftMessage } from '../../src/cluster/raft/messages.js'
import type { Rng } from '../../src/cluster/rng.js'
import { QUORUM_APPEND_TIMEOUT_MS, QuorumMetadataLog, type RaftTimings } from '../../src/daemon/quorum-metadata-log.js'
import { InProcessTransport, type QuorumTransport } from '../../src/daemon/quorum-transport.js'
import type { VirtualScheduler } from './scheduler.js'

const VOTERS = [1, 2, 3]

/**
 * RaftNode's default timings divided by five, as the brokers' timeouts in the simulation are
 * smaller than the daemon's: an election within a few hundred virtual ms of a leader's crash.
 */
const TIMINGS: RaftTimings = { electionTimeoutMs: 200, fetchTimeoutMs: 400, electionBackoffMaxMs: 200, requestTimeoutMs: 400, fetchIntervalMs: 50 }

export interface QuorumRngs {
  /** Election timeouts (each voter's own stream is drawn from it). */
  raft: Rng
  /** Message delays between voters, and store write delays. */
  delays: Rng
  /** The voter faults: whether a step has one, and which. */
  actions: Rng
}

/** The transport between voters, with paused voters' messages held until they resume. */
class HeldTransport implements QuorumTransport {
  private readonly held = new Set<number>()
  private waiting: RaftMessage[] = []

  constructor(private readonly inner: InProcessTransport) {}

  attach(id: number, receive: ((msg: RaftMessage) => void) | null): void {
    // Delivery to a held voter waits: it is wrapped here, where the hold is known.
    this.inner.attach(id, receive && ((msg) => (this.held.has(id) ? this.waiting.push(msg) : receive(msg))))
  }

  send(msg: RaftMessage): void {
    if (this.held.has(msg.from)) this.waiting.push(msg)
    else this.inner.send(msg)
  }

  isHeld(id: number): boolean {
    return this.held.has(id)
  }

  hold(id: number): void {
    this.held.add(id)
  }

  /** What waited, sent again in the order it waited (each with a new delay), unless still held. */
  release(id: number): void {
    this.held.delete(id)
    const waiting = this.waiting
    this.waiting = []
    for (const msg of waiting) this.send(msg)
  }
}

export class SimQuorum {
  readonly log: QuorumMetadataLog
  readonly stats = { voterCrashes: 0, voterMajorityCrashes: 0, voterStops: 0, voterRestarts: 0, voterPauses: 0, quorumLeaderChanges: 0 }
  private readonly transport: HeldTransport
  private readonly down = new Set<number>()
  /** Voters starting again (their store opening) or stopping (resigning first): neither up nor down until done. */
  private readonly changing = new Set<number>()
  /** Per epoch, the leader the log saw (at most one). */
  private readonly leaders = new Map<number, number>()
  private lastLeader: { id: number | null; epoch: number } = { id: null, epoch: -1 }
  /** Records the controller applied: compared with what the log committed, at the same offsets. */
  private applied = 0

  constructor(
    sched: VirtualScheduler,
    private readonly rngs: QuorumRngs,
    /** The longest a message between voters takes, and a store write (virtual ms). */
    delayMaxMs: number,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
    /** Each voter snapshots once it committed this many bytes since its last; never when absent. */
    snapshotBytes?: number,
  ) {
    const stores = new Map(VOTERS.map((id) => [id, new MemoryRaftLogStore({ scheduler: sched, writeDelayMs: () => rngs.delays.int(delayMaxMs + 1) })]))
    this.transport = new HeldTransport(new InProcessTransport(sched, () => rngs.delays.int(delayMaxMs + 1)))
    this.log = new QuorumMetadataLog({
      voterIds: VOTERS,
      storeOf: (id) => stores.get(id)!,
      transport: this.transport,
      scheduler: sched,
      rng: rngs.raft,
      raft: TIMINGS,
      // The daemon's: a broker restarted while a majority of voters is down does not fail its
      // start but retries its registration until a majority is back (src/broker/broker.ts), so
      // an append that gives up after 3 s costs a command its answer, never a restart.
      appendTimeoutMs: QUORUM_APPEND_TIMEOUT_MS,
      // The real one draws from node:crypto, which the simulation refuses.
      newClusterId: () => 'sim',
      ...(snapshotBytes === undefined ? {} : { maxRecordBytesBetweenSnapshots: () => snapshotBytes }),
    })
  }

  /** Opens the log and stores the records a seed starts with, before the node opens it (and replays them). */
  async seed(initial: MetadataRecord[]): Promise<void> {
    await this.log.open()
    this.applied = (await this.log.append(initial, 0)) + initial.length
  }

  /** After every timer: one leader per epoch, and leader changes counted. */
  observe(): void {
    const view = this.log.describe()
    if (view.leaderId === null) return
    const before = this.leaders.get(view.epoch)
    if (before !== undefined && before !== view.leaderId) return this.fail(`two quorum leaders in epoch ${view.epoch}: voters ${before} and ${view.leaderId}`)
    this.leaders.set(view.epoch, view.leaderId)
    if (view.leaderId !== this.lastLeader.id || view.epoch !== this.lastLeader.epoch) {
      if (this.lastLeader.id !== null) this.stats.quorumLeaderChanges++
      this.trace?.(() => `quorum: voter ${view.leaderId} leads epoch ${view.epoch} (high watermark ${view.highWatermark})`)
      this.lastLeader = { id: view.leaderId, epoch: view.epoch }
    }
  }

  /** The controller applied `records` (after their append succeeded): they are what the log committed next. */
  onApplied(records: MetadataRecord[]): void {
    const from = this.applied
    this.applied += records.length
    // The committed records at these offsets never change: read them whenever the read returns,
    // unless a snapshot compacted them into the image meanwhile (then nothing is left to compare).
    void this.log.readAll().then((all) => {
      if (all.some((s) => s.snapshot && s.offset >= from)) return
      const committed = all.filter((s) => !s.snapshot && s.offset >= from && s.offset < from + records.length).map((s) => JSON.stringify(s.record))
      const mine = records.map((r) => JSON.stringify(r))
      if (committed.length !== mine.length || committed.some((c, i) => c !== mine[i])) {
        this.fail(`the controller applied at metadata offsets ${from}..${from + records.length - 1} records other than the quorum committed there: applied ${mine.join(' ')}, committed ${committed.join(' ')}`)
      }
    })
  }

  /** At the end (caught up): nothing the quorum committed went unapplied. */
  async checkEnd(): Promise<void> {
    const n = this.log.metadataEndOffset()
    if (n !== this.applied) this.fail(`the quorum committed ${n} metadata records, the controller applied ${this.applied}`)
  }

  /** One voter fault, or none, for this step (its own stream: see the header). */
  act(rate: number, background: (what: string, work: Promise<unknown>) => void): string | null {
    const rng = this.rngs.actions
    if (rng.next() >= rate) return null
    const pick = (ids: number[]): number | undefined => (ids.length === 0 ? undefined : ids[rng.int(ids.length)])
    const up = VOTERS.filter((id) => !this.down.has(id) && !this.changing.has(id))
    const leader = this.log.describe().leaderId
    const r = rng.next()
    if (r < 0.3) return leader === null ? null : this.crash(leader, 'the quorum leader')
    if (r < 0.4) {
      const id = pick(up)
      return id === undefined ? null : this.crash(id, 'a voter')
    }
    if (r < 0.45) {
      // A majority: the leader (when there is one) and another.
      const first = leader ?? pick(up)
      const second = pick(up.filter((id) => id !== first))
      if (first === undefined || second === undefined) return null
      this.stats.voterMajorityCrashes++
      return `${this.crash(first, 'a majority')}; ${this.crash(second, 'a majority')}`
    }
    if (r < 0.52) {
      if (leader === null || this.transport.isHeld(leader)) return null
      this.stats.voterStops++
      this.changing.add(leader)
      background(
        `stopping voter ${leader}`,
        this.log.stopVoter(leader).then(() => {
          this.changing.delete(leader)
          this.down.add(leader)
        }),
      )
      return `stop voter ${leader}, the quorum leader (it resigns)`
    }
    if (r < 0.85) {
      const id = pick([...this.down])
      return id === undefined ? null : this.restart(id, background)
    }
    if (r < 0.93) {
      const id = pick(up.filter((v) => !this.transport.isHeld(v)))
      if (id === undefined) return null
      this.stats.voterPauses++
      this.transport.hold(id)
      return `pause voter ${id}`
    }
    const id = pick(VOTERS.filter((v) => this.transport.isHeld(v)))
    if (id === undefined) return null
    this.transport.release(id)
    return `resume voter ${id}`
  }

  /** The end of a run: every voter resumed and started. */
  healAll(background: (what: string, work: Promise<unknown>) => void): void {
    for (const id of VOTERS) if (this.transport.isHeld(id)) this.transport.release(id)
    for (const id of [...this.down]) this.restart(id, background)
  }

  private crash(id: number, what: string): string {
    this.stats.voterCrashes++
    this.down.add(id)
    this.log.crashVoter(id)
    return `crash voter ${id} (${what})`
  }

  private restart(id: number, background: (what: string, work: Promise<unknown>) => void): string {
    this.stats.voterRestarts++
    this.down.delete(id)
    this.changing.add(id)
    background(
      `restarting voter ${id}`,
      this.log.startVoter(id).finally(() => this.changing.delete(id)),
    )
    return `restart voter ${id}`
  }
}
