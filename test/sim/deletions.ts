/**
 * DeleteRecords in the simulation: a client sends DeleteRecords (v2, through the codec to the
 * leader's real handler, as the other clients' requests go) at an offset at or below the high
 * watermark it last saw (sometimes -1, "up to the high watermark"), and the checks that go with it:
 * - each replica's log start offset never goes back: on its disk (across restarts, truncations,
 *   leader changes) and in each incarnation's running log;
 * - no replica's log start passes what some DeleteRecords asked for (records go only on purpose);
 * - once a deletion up to `L` is acknowledged, the replicas it surely waited for (in the ISR from
 *   when it was sent to its answer) start at `L` or later on disk for as long as they stay in the
 *   ISR, and a Fetch below `L` sent afterwards
 *   is never answered with records (consumers.ts: out of range, below the log start the answer
 *   names). A replica that joins the ISR later may still start below `L` until the answer to the
 *   fetch that let it join arrives (it joins at a fetch from the HWM, as in Kafka, whatever its
 *   log start), so the disk check leaves it out.
 * Seeds that allow unclean elections skip the first and third (an unclean leader may start lower).
 */
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../src/protocol/messages/21-delete-records.js'
import type { Input } from '../../src/protocol/schema.js'
import type { Hosted } from '../../src/broker/replica-manager.js'
import type { SimNode } from './sim-node.js'

const DELETE_RECORDS = { apiKey: 21, version: 2, clientId: 'sim-admin' }

interface Covered {
  offset: number
  replicas: Set<number>
}

export class Deletions {
  /** Per partition: the highest offset a DeleteRecords answer acknowledged (NONE). */
  readonly acked: number[]
  /** Per partition, acknowledged deletions: up to where, and the replicas in the ISR since they were sent. */
  private readonly held: Covered[][]
  /** Deletions in flight, with the replicas in the ISR since they were sent. */
  private readonly covering = new Set<Covered & { partition: number }>()
  /** Per partition: the highest log start any DeleteRecords sent may have set. */
  readonly allowed: number[]
  readonly errors = new Map<string, number>()
  sent = 0
  acknowledged = 0
  /** Per broker, per partition: the highest log start its disk has held (absent: no log there). */
  private readonly diskStarts = new Map<number, (number | undefined)[]>()
  /** Per running replica (one incarnation's): the highest log start its log has had. */
  private readonly logStarts = new WeakMap<Hosted, number>()
  private readonly inFlight: boolean[]
  /**
   * Per partition: whether a DeleteRecords to the HWM (-1) reached a leader and was not answered.
   * Its handler reads the HWM when it runs, which may be after appends that land later than the
   * request's arrival (a leader just elected or changing, requests before it on the partition):
   * meanwhile a log start may reach any high watermark a replica shows (sim seeds 2389, 10742).
   * A lost answer leaves it set: the request may still run.
   */
  private readonly toHwmPending: boolean[]

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    partitions: number,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
    private readonly uncleanAllowed: boolean,
    private readonly requestTimeoutMs: number,
  ) {
    this.acked = Array.from({ length: partitions }, () => 0)
    this.allowed = Array.from({ length: partitions }, () => 0)
    this.inFlight = Array.from({ length: partitions }, () => false)
    this.toHwmPending = Array.from({ length: partitions }, () => false)
    this.held = Array.from({ length: partitions }, () => [])
  }

  /**
   * Sends one DeleteRecords for `partition` to the leader the metadata names: up to the high
   * watermark (-1) when `toEnd`, else at `fraction` of the way from the log start to the high
   * watermark, as the client would learn them from ListOffsets (read here from the leader).
   */
  send(partition: number, toEnd: boolean, fraction: number, timeoutMs: number): string | null {
    const p = this.sim.image.partition(this.topicName, partition)
    if (this.inFlight[partition] || !p || p.leader < 0 || this.sim.condition(p.leader) !== 'up') return null
    const h = this.sim.hosted(p.leader, p.topicId, partition)
    if (!h?.log) return null
    const start = h.log.logStartOffset
    const hwm = h.log.highWatermark
    const offset = toEnd ? -1 : start + Math.floor(fraction * (hwm - start))
    const leaderId = p.leader
    const what = `delete records of p${partition} before ${offset === -1 ? `the HWM (${hwm})` : offset} at b${leaderId} (epoch ${p.leaderEpoch})`
    const request: Input<typeof DeleteRecordsRequest> = { topics: [{ name: this.topicName, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs }
    // What the handler will take -1 for: the leader's high watermark when it reads it. That is when
    // the request reaches it, or, on a leader just elected, once its log is ready: its high
    // watermark may have moved up by then, never past the log end it had (sim seed 2389).
    const onDecoded = (): void => {
      const h = this.sim.hosted(leaderId, p.topicId, partition)
      const ready = h?.role === 'leader'
      const target = offset === -1 ? ((ready ? h.log?.highWatermark : h?.log?.logEndOffset) ?? 0) : offset
      this.allowed[partition] = Math.max(this.allowed[partition]!, target)
      if (offset === -1) this.toHwmPending[partition] = true
    }
    this.inFlight[partition] = true
    this.sent++
    // The replicas in the ISR at every commit from now to the answer.
    const covered = { partition, offset: 0, replicas: this.isrOf(partition) }
    this.covering.add(covered)
    this.sim.net.request<DeleteRecordsResponse>(leaderId, DELETE_RECORDS, request, timeoutMs + this.requestTimeoutMs, onDecoded).then(
      (response) => {
        this.inFlight[partition] = false
        this.covering.delete(covered)
        const r = response.topics[0]?.partitions[0]
        if (!r) return this.fail(`${what}: the response names no partition`)
        this.count(errorName(r.errorCode))
        this.trace?.(() => `${what}: ${errorName(r.errorCode)}, low watermark ${r.lowWatermark}`)
        if (offset === -1 && this.toHwmPending[partition]) {
          // Answered: what it set is the leader's log start now (one DeleteRecords per partition at a time).
          this.toHwmPending[partition] = false
          this.allowed[partition] = Math.max(this.allowed[partition]!, this.highestStart(partition))
        }
        if (r.errorCode !== ErrorCode.NONE) return
        if (offset !== -1 && r.lowWatermark < offset) return this.fail(`${what}: acknowledged with the low watermark ${r.lowWatermark}, below the offset asked`)
        if (r.lowWatermark > this.allowed[partition]!) return this.fail(`${what}: acknowledged with the low watermark ${r.lowWatermark}, beyond any offset asked (${this.allowed[partition]})`)
        this.acknowledged++
        const upTo = offset === -1 ? r.lowWatermark : offset
        this.acked[partition] = Math.max(this.acked[partition]!, upTo)
        covered.offset = upTo
        this.held[partition]!.push(covered)
      },
      (error: unknown) => {
        // Reset or timed out: it may have been applied, or not.
        this.inFlight[partition] = false
        this.covering.delete(covered)
        this.count('lost')
        this.trace?.(() => `${what}: lost (${String(error)})`)
      },
    )
    return what
  }

  /** The highest log start a running replica of the partition has. */
  private highestStart(partition: number): number {
    return Math.max(0, ...this.sim.ids.map((id) => this.hostedLog(id, partition)?.logStartOffset ?? 0))
  }

  /** The highest high watermark a running replica of the partition shows. */
  private highestHwm(partition: number): number {
    return Math.max(0, ...this.sim.ids.map((id) => this.hostedLog(id, partition)?.highWatermark ?? 0))
  }

  private hostedLog(id: number, partition: number): Hosted['log'] | undefined {
    const p = this.sim.image.partition(this.topicName, partition)
    return p ? this.sim.hosted(id, p.topicId, partition)?.log : undefined
  }

  /** After every timer: log starts never go back, never pass what was asked. */
  checkReplicas(): void {
    const topic = this.sim.image.topicsByName.get(this.topicName)
    if (!topic) return
    for (const id of this.sim.ids) {
      let diskStarts = this.diskStarts.get(id)
      if (!diskStarts) this.diskStarts.set(id, (diskStarts = []))
      const b = this.sim.broker(id)
      const running = b?.running ? b.replicas.all() : []
      for (const p of topic.partitions) {
        const sp = this.sim.stored(id, p.topicId, p.partition)
        const h = running.find((x) => x.partition === p.partition && x.topicId === p.topicId)
        const where = (): string => `broker ${id}'s replica of partition ${p.partition}`
        const allowed = this.toHwmPending[p.partition] ? Math.max(this.allowed[p.partition]!, this.highestHwm(p.partition)) : this.allowed[p.partition]!
        // A replica moved away loses its log (reassignment): one moved back starts anew.
        if (!sp) diskStarts[p.partition] = undefined
        if (sp) {
          const start = sp.state.logStartOffset
          if (start > allowed) return this.fail(`${where()} starts at ${start} on disk, beyond any DeleteRecords sent (${allowed})`)
          const before = diskStarts[p.partition] ?? 0
          if (start < before && !this.uncleanAllowed) return this.fail(`${where()}: its log start on disk went back from ${before} to ${start}`)
          diskStarts[p.partition] = Math.max(start, before)
        }
        if (h?.log) {
          const start = h.log.logStartOffset
          if (start > allowed) return this.fail(`${where()} starts at ${start}, beyond any DeleteRecords sent (${allowed})`)
          const before = this.logStarts.get(h) ?? 0
          if (start < before && !this.uncleanAllowed) return this.fail(`${where()}: its log start went back from ${before} to ${start}`)
          this.logStarts.set(h, Math.max(start, before))
        }
      }
    }
  }

  /** After every metadata commit: a replica out of the ISR is no longer surely covered by a deletion. */
  onCommit(): void {
    const keep = (c: Covered, partition: number): void => {
      const isr = this.isrOf(partition)
      for (const id of c.replicas) if (!isr.has(id)) c.replicas.delete(id)
    }
    for (const c of this.covering) keep(c, c.partition)
    for (const [partition, held] of this.held.entries()) for (const c of held) keep(c, partition)
  }

  /** The ISR, with the last member of an offline partition (the one to lead again). */
  private isrOf(partition: number): Set<number> {
    const p = this.sim.image.partition(this.topicName, partition)
    if (!p) return new Set()
    return new Set(p.leader >= 0 && !p.isr.includes(p.leader) ? [...p.isr, p.leader] : p.isr)
  }

  /** After every step: an acknowledged deletion holds on the replicas it surely waited for, while they stay in the ISR. */
  checkAcked(): void {
    if (this.uncleanAllowed) return
    for (const p of this.sim.image.topicsByName.get(this.topicName)?.partitions ?? []) {
      const held = this.held[p.partition]!
      for (const h of held) {
        for (const id of h.replicas) {
          const start = this.sim.stored(id, p.topicId, p.partition)?.state.logStartOffset ?? 0
          if (start < h.offset) {
            return this.fail(`records of partition ${p.partition} deleted before ${h.offset} (acknowledged) are back on broker ${id} (epoch ${p.leaderEpoch}, leader ${p.leader}, ISR [${p.isr}]): its log starts at ${start}`)
          }
        }
      }
      this.held[p.partition] = held.filter((h) => h.replicas.size > 0)
    }
  }

  private count(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1)
  }
}
