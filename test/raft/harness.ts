/**
 * A seeded world of Raft replicas (src/cluster/raft/) for the unit tests and the simulation:
 * virtual time (test/sim/scheduler.ts), one MemoryRaftLogStore per replica whose writes land
 * after a seeded delay (a crash loses those not landed), and a network with seeded delays (so
 * reordering), drops and cut links. Each replica runs a tiny state machine: the list of committed
 * values with their offsets, which is also what its snapshots hold.
 *
 * The checks (`check()`, and on every commit and send): what a message says is durable first;
 * at most one leader per epoch; every replica applies
 * the same value at the same offset (state machine safety), in offset order; an entry at the same
 * offset and epoch holds the same value on every replica (log matching); every leader holds every
 * committed entry above its log start (leader completeness); a replica's high watermark never
 * goes back within an incarnation.
 */
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import type { RaftMessage } from '../../src/cluster/raft/messages.js'
import { RaftNode, type RaftNodeOptions } from '../../src/cluster/raft/node.js'
import { seededRng, type Rng } from '../../src/cluster/rng.js'
import { ProcessScheduler, VirtualScheduler, drainMicrotasks } from '../sim/scheduler.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

export interface WorldOptions {
  seed: number
  voters: number
  observers?: number
  /** Network delay: uniform in [min, max] ms. */
  delayMs?: [number, number]
  /** The most a store write waits before it is durable (0: at once). */
  storeDelayMaxMs?: number
  node?: Partial<Pick<RaftNodeOptions, 'electionTimeoutMs' | 'fetchTimeoutMs' | 'electionBackoffMaxMs' | 'requestTimeoutMs' | 'fetchIntervalMs' | 'fetchMaxWaitMs' | 'fetchMaxEntries'>>
}

export class Replica {
  node: RaftNode | null = null
  proc: ProcessScheduler
  /** The state machine of this incarnation: offset -> value. */
  applied: Array<[number, string]> = []
  heldIn: RaftMessage[] = []
  heldOut: RaftMessage[] = []
  lastHw = 0
  snapshotsLoaded = 0

  constructor(
    readonly id: number,
    readonly store: MemoryRaftLogStore,
    world: VirtualScheduler,
  ) {
    this.proc = new ProcessScheduler(world)
  }

  get up(): boolean {
    return this.node !== null
  }
  get paused(): boolean {
    return this.proc.state === 'paused'
  }
}

export class RaftWorld {
  readonly sched = new VirtualScheduler()
  readonly rng: Rng
  readonly replicas: Replica[] = []
  readonly voterIds: number[]
  /** Committed data by offset, as first applied anywhere. */
  readonly committed = new Map<number, string>()
  /** The epoch in which each committed offset was first applied (its leader's: a leader applies first). */
  readonly commitEpoch = new Map<number, number>()
  /** Leader per epoch, over the whole run. */
  readonly leaders = new Map<number, number>()
  readonly cut = new Set<string>()
  dropRate = 0
  /** Answers sent that exercise the rarer paths: so a sweep can show it reached them. */
  readonly stats = { diverging: 0, snapshotIds: 0, snapshotsSent: 0, preVotes: 0, votes: 0 }
  errors: string[] = []
  /** The last events (crashes, restarts, each replica's state changes), for a failure's report. */
  readonly trace: string[] = []
  private readonly lastState = new Map<number, string>()
  private proposals = 0

  constructor(readonly options: WorldOptions) {
    this.rng = seededRng(options.seed)
    const total = options.voters + (options.observers ?? 0)
    this.voterIds = Array.from({ length: options.voters }, (_, i) => i + 1)
    const delayMax = options.storeDelayMaxMs ?? 0
    for (let id = 1; id <= total; id++) {
      const store = new MemoryRaftLogStore(delayMax > 0 ? { scheduler: this.sched, writeDelayMs: () => this.rng.int(delayMax + 1) } : {})
      this.replicas.push(new Replica(id, store, this.sched))
    }
  }

  replica(id: number): Replica {
    return this.replicas[id - 1]!
  }

  async start(id: number): Promise<void> {
    const r = this.replica(id)
    if (r.node) return
    r.proc = new ProcessScheduler(this.sched)
    r.applied = []
    r.lastHw = 0
    r.heldIn = []
    r.heldOut = []
    const proc = r.proc
    const node = await RaftNode.start({
      id,
      voters: this.voterIds,
      store: r.store,
      scheduler: proc,
      rng: seededRng(this.options.seed * 1000 + id * 7 + this.rng.int(1000)),
      send: (msg) => this.send(msg),
      onCommitted: (entries) => {
        for (const e of entries) this.apply(r, e.offset, dec.decode(e.value))
      },
      onSnapshotLoaded: (snap) => {
        r.snapshotsLoaded++
        const list = JSON.parse(dec.decode(snap.data)) as Array<[number, string]>
        r.applied = []
        for (const [offset, value] of list) this.apply(r, offset, value)
      },
      electionTimeoutMs: 300,
      fetchTimeoutMs: 600,
      electionBackoffMaxMs: 200,
      requestTimeoutMs: 200,
      fetchIntervalMs: 100,
      ...this.options.node,
    })
    if (proc.state === 'dead') return node.stop()
    r.node = node
    this.note(`start ${id}`)
  }

  async startAll(): Promise<void> {
    for (const r of this.replicas) await this.start(r.id)
  }

  crash(id: number): void {
    const r = this.replica(id)
    if (!r.node) return
    this.note(`crash ${id}`)
    r.node.stop()
    r.node = null
    r.proc.kill()
    r.store.crash()
  }

  pause(id: number): void {
    this.replica(id).proc.pause()
  }

  resume(id: number): void {
    const r = this.replica(id)
    r.proc.resume()
    const inbox = r.heldIn
    const outbox = r.heldOut
    r.heldIn = []
    r.heldOut = []
    for (const m of outbox) this.transmit(m)
    for (const m of inbox) this.deliver(m)
  }

  cutLink(a: number, b: number): void {
    this.cut.add(`${a}-${b}`)
    this.cut.add(`${b}-${a}`)
  }

  healAll(): void {
    this.cut.clear()
    this.dropRate = 0
  }

  /** The node that believes it leads in the highest epoch, among those up. */
  leader(): Replica | undefined {
    let best: Replica | undefined
    for (const r of this.replicas) {
      const s = r.node?.state
      if (s?.role === 'leader' && (!best || s.epoch > best.node!.state.epoch)) best = r
    }
    return best
  }

  /** Proposes one fresh value on the current leader; returns it, or null without a leader. */
  propose(): string | null {
    const l = this.leader()
    if (!l || l.paused) return null
    const value = `v${this.options.seed}-${++this.proposals}`
    const res = l.node!.propose([enc.encode(value)])
    return 'offset' in res ? value : null
  }

  /** The replica snapshots its state machine at what it applied. */
  snapshot(id: number): boolean {
    const r = this.replica(id)
    const n = r.node
    if (!n || r.paused || r.applied.length === 0) return false
    const last = r.applied.at(-1)![0]
    const offset = Math.max(last + 1, n.logStartOffset)
    const data = enc.encode(JSON.stringify(r.applied))
    // The applied list ends at a data entry; the node accepts any offset up to what it applied.
    return n.snapshot(offset, data)
  }

  /** Runs timers until virtual `untilMs`, draining microtasks after each, checking as it goes. */
  async runUntil(untilMs: number, checkEvery = 25): Promise<void> {
    let n = 0
    for (;;) {
      const fn = this.sched.popDue(untilMs)
      if (!fn) break
      try {
        fn()
      } catch (err) {
        this.fail(`timer threw: ${String(err)}`)
      }
      await drainMicrotasks()
      this.checkCheap()
      if (++n % checkEvery === 0) this.check()
      if (this.errors.length > 0) return
    }
    this.sched.advanceTo(untilMs)
    await drainMicrotasks()
  }

  async runFor(ms: number): Promise<void> {
    await this.runUntil(this.sched.nowMs() + ms)
  }

  // ---- network ----

  private send(msg: RaftMessage): void {
    const from = this.replica(msg.from)
    if (!from.node || from.proc.state === 'dead') return
    this.checkDurableBeforeSend(from, msg)
    if (msg.type === 'FetchResponse' && msg.divergingEpoch) this.stats.diverging++
    if (msg.type === 'FetchResponse' && msg.snapshotId) this.stats.snapshotIds++
    if (msg.type === 'FetchSnapshotResponse' && msg.snapshot) this.stats.snapshotsSent++
    if (msg.type === 'Vote') this.stats[msg.preVote ? 'preVotes' : 'votes']++
    this.transmit(msg)
  }

  /** Onto the wire: a paused sender's messages wait for it to resume (checked when they were sent). */
  private transmit(msg: RaftMessage): void {
    const from = this.replica(msg.from)
    if (!from.node || from.proc.state === 'dead') return
    if (from.paused) {
      from.heldOut.push(msg)
      return
    }
    if (this.cut.has(`${msg.from}-${msg.to}`) || (this.dropRate > 0 && this.rng.next() < this.dropRate)) return
    const [lo, hi] = this.options.delayMs ?? [1, 10]
    this.sched.setTimer(() => this.deliver(msg), lo + this.rng.int(hi - lo + 1))
  }

  private deliver(msg: RaftMessage): void {
    const to = this.replica(msg.to)
    if (!to.node) return
    if (to.paused) {
      to.heldIn.push(msg)
      return
    }
    try {
      to.node.receive(msg)
    } catch (err) {
      this.fail(`${msg.type} to ${msg.to} threw: ${String(err)}`)
    }
  }

  // ---- checks ----

  note(what: string): void {
    this.trace.push(`${this.sched.nowMs()} ${what}`)
    if (this.trace.length > 80) this.trace.splice(0, this.trace.length - 60)
  }

  fail(what: string): void {
    this.errors.push(`t=${this.sched.nowMs()} ${what}`)
  }

  private apply(r: Replica, offset: number, value: string): void {
    const prev = r.applied.at(-1)
    if (prev && prev[0] >= offset) this.fail(`replica ${r.id} applied ${offset} after ${prev[0]}`)
    r.applied.push([offset, value])
    const known = this.committed.get(offset)
    if (known === undefined) {
      this.committed.set(offset, value)
      this.commitEpoch.set(offset, r.node?.state.epoch ?? 0)
    }
    else if (known !== value) this.fail(`replica ${r.id} applied ${value} at ${offset}, committed there: ${known}`)
  }

  /**
   * Persist before you send: the epoch a message speaks in, a granted vote, and the log a Fetch
   * acknowledges are durable in the sender's store when the message leaves.
   */
  private checkDurableBeforeSend(r: Replica, msg: RaftMessage): void {
    const durable = r.store.durableState()
    const epoch = durable.quorum?.epoch ?? 0
    const spoken = msg.type === 'Vote' && msg.preVote ? msg.epoch - 1 : msg.epoch
    if (spoken > epoch) this.fail(`replica ${r.id} sent ${msg.type} in epoch ${spoken}, durable epoch ${epoch}`)
    if (msg.type === 'VoteResponse' && msg.granted && !msg.preVote && (durable.quorum?.votedFor !== msg.to || epoch !== msg.epoch)) {
      this.fail(`replica ${r.id} granted its vote in epoch ${msg.epoch} to ${msg.to} before it was durable`)
    }
    if (msg.type === 'Fetch') {
      const end = (durable.entries.at(-1)?.offset ?? (durable.snapshot?.offset ?? 0) - 1) + 1
      if (msg.fetchOffset > end) this.fail(`replica ${r.id} fetched from ${msg.fetchOffset}, durable log end ${end}`)
    }
  }

  /** After every timer: one leader per epoch, high watermarks only grow, no replica failed. */
  checkCheap(): void {
    for (const r of this.replicas) {
      const n = r.node
      if (!n) continue
      if (n.failure !== undefined) this.fail(`replica ${r.id} failed: ${String(n.failure)}`)
      const s = n.state
      const desc = `${s.role} e${s.epoch} voted ${s.votedFor} leader ${s.leaderId} log [${n.logStartOffset}, ${n.logEndOffset}) hw ${n.highWatermark}`
      if (this.lastState.get(r.id) !== desc) {
        this.lastState.set(r.id, desc)
        this.note(`${r.id}: ${desc}${r.paused ? ' (paused)' : ''}`)
      }
      if (s.role === 'leader') {
        const known = this.leaders.get(s.epoch)
        if (known === undefined) {
          this.leaders.set(s.epoch, r.id)
          this.checkLeaderCompleteness(r)
        } else if (known !== r.id) this.fail(`two leaders in epoch ${s.epoch}: ${known} and ${r.id}`)
      }
      if (n.highWatermark < r.lastHw) this.fail(`replica ${r.id} high watermark went back ${r.lastHw} -> ${n.highWatermark}`)
      r.lastHw = n.highWatermark
    }
  }

  /** Log matching over every pair of live logs, and leader completeness for the leaders. */
  check(): void {
    const seen = new Map<string, string>()
    for (const r of this.replicas) {
      const n = r.node
      if (!n) continue
      for (let o = n.logStartOffset; o < n.logEndOffset; o++) {
        const e = n.entryAt(o)!
        const key = `${o}:${e.epoch}`
        const v = dec.decode(e.value)
        const other = seen.get(key)
        if (other === undefined) seen.set(key, v)
        else if (other !== v) this.fail(`log matching: offset ${o} epoch ${e.epoch} holds ${other} and ${v} (replica ${r.id})`)
      }
      if (n.state.role === 'leader') this.checkLeaderCompleteness(r)
    }
  }

  /** A leader holds every entry committed in an earlier epoch (a stale leader misses later ones, as it may). */
  private checkLeaderCompleteness(r: Replica): void {
    const n = r.node!
    for (const [offset, value] of this.committed) {
      if (offset < n.logStartOffset || this.commitEpoch.get(offset)! >= n.state.epoch) continue
      const e = n.entryAt(offset)
      if (!e || dec.decode(e.value) !== value) {
        this.fail(`leader ${r.id} (epoch ${n.state.epoch}) lacks committed ${value} at ${offset}: has ${e ? dec.decode(e.value) : 'nothing'}`)
        return
      }
    }
  }
}
