/**
 * Partition reassignment in the simulation: an admin client sends AlterPartitionReassignments (v0,
 * through the codec to a live broker's real handler, which forwards it to the controller) to move
 * a partition to a random replica set of the same size, or (sometimes) to cancel the move in
 * progress, interleaved with the crashes, pauses, cut links and restarts of the other actions.
 * The acknowledged-record and committed-data checks of invariants.ts hold throughout (the elected
 * leader and every ISR member hold what was acknowledged, whatever the replica set). At the end,
 * once every broker is back: every reassignment has ended (no adding or removing replicas), and
 * each partition's replicas are those of the last move or cancel its client saw acknowledged (or
 * of one whose answer was lost: its fate is unknown).
 */
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../src/protocol/messages/45-alter-partition-reassignments.js'
import type { Input } from '../../src/protocol/schema.js'
import type { Rng } from '../../src/cluster/rng.js'
import type { SimNode } from './sim-node.js'

const ALTER_REASSIGNMENTS = { apiKey: 45, version: 0, clientId: 'sim-admin' }

/** What a partition's replica set may be at the end: the outcomes of the requests since the last one acknowledged. */
interface Outcomes {
  /** Replica lists (in order); null: a cancel, whose result is the replica set before its move. */
  possible: (number[] | null)[]
  inFlight: boolean
}

export class Reassignments {
  readonly errors = new Map<string, number>()
  sent = 0
  acknowledged = 0
  cancels = 0
  private readonly outcomes: Outcomes[]
  /**
   * Per partition, what a cancel may return to: the replicas without those being added, at each
   * commit while a move was in progress (a cancel reverts the move as the metadata has it then).
   */
  private readonly revertible: Set<string>[]

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    partitions: number,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
    private readonly requestTimeoutMs: number,
  ) {
    this.outcomes = Array.from({ length: partitions }, () => ({ possible: [], inFlight: false }))
    this.revertible = Array.from({ length: partitions }, () => new Set())
  }

  /** True while a request is in flight (the end waits for its answer). */
  get busy(): boolean {
    return this.outcomes.some((o) => o.inFlight)
  }

  /** Sends one move (or, `cancel`, a cancel) of `partition` to a live broker. */
  send(rng: Rng, partition: number, cancel: boolean): string | null {
    const o = this.outcomes[partition]!
    const up = this.sim.withCondition('up')
    const p = this.sim.image.partition(this.topicName, partition)
    if (o.inFlight || up.length === 0 || !p) return null
    // The target's size: the replication factor (a move in progress lists old and new replicas).
    const size = p.replicas.length - p.removingReplicas.length
    let replicas: number[] | null = null
    if (!cancel) {
      // A shuffle of every broker, cut to the replication factor: any valid replica set, in any order.
      const ids = [...this.sim.ids]
      for (let i = ids.length - 1; i > 0; i--) {
        const j = rng.int(i + 1)
        ;[ids[i], ids[j]] = [ids[j]!, ids[i]!]
      }
      replicas = ids.slice(0, size)
    }
    const to = up[rng.int(up.length)]!
    const what = `${cancel ? 'cancel the reassignment of' : `reassign`} p${partition}${replicas ? ` to [${replicas}]` : ''} at b${to} (replicas [${p.replicas}]${p.addingReplicas.length ? `, adding [${p.addingReplicas}], removing [${p.removingReplicas}]` : ''})`
    const request: Input<typeof AlterPartitionReassignmentsRequest> = {
      timeoutMs: this.requestTimeoutMs,
      topics: [{ name: this.topicName, partitions: [{ partitionIndex: partition, replicas }] }],
    }
    o.inFlight = true
    this.sent++
    if (cancel) this.cancels++
    // A request whose answer is lost may have been applied, or not: where the partition was
    // going before stays possible.
    if (o.possible.length === 0) o.possible.push(p.replicas.filter((id) => !p.removingReplicas.includes(id)))
    o.possible.push(replicas)
    this.sim.net.request<AlterPartitionReassignmentsResponse>(to, ALTER_REASSIGNMENTS, request, this.requestTimeoutMs * 4).then(
      (response) => {
        o.inFlight = false
        const r = response.responses[0]?.partitions[0]
        const code = r?.errorCode ?? response.errorCode
        this.count(errorName(code))
        this.trace?.(() => `${what}: ${errorName(code)}${r?.errorMessage ? ` (${r.errorMessage})` : ''}`)
        if (code !== ErrorCode.NONE) {
          // Refused: nothing changed.
          o.possible.pop()
          return
        }
        this.acknowledged++
        o.possible = [replicas]
      },
      (error: unknown) => {
        o.inFlight = false
        this.count('lost')
        this.trace?.(() => `${what}: lost (${String(error)})`)
      },
    )
    return what
  }

  /** After every metadata commit: where a cancel now would take each partition in a move. */
  onCommit(): void {
    for (const p of this.sim.image.topicsByName.get(this.topicName)?.partitions ?? []) {
      if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) continue
      this.revertible[p.partition]!.add(String(p.replicas.filter((id) => !p.addingReplicas.includes(id))))
    }
  }

  /** Every reassignment has ended (the end waits for this). */
  ended(): boolean {
    if (this.busy) return false
    return (this.sim.image.topicsByName.get(this.topicName)?.partitions ?? []).every((p) => p.addingReplicas.length === 0 && p.removingReplicas.length === 0)
  }

  /** At the end: each partition's replicas are what the last acknowledged request (or a later lost one) asked for. */
  checkEnd(): void {
    for (const p of this.sim.image.topicsByName.get(this.topicName)?.partitions ?? []) {
      const o = this.outcomes[p.partition]!
      if (o.possible.length === 0) continue
      if (p.addingReplicas.length > 0 || p.removingReplicas.length > 0) {
        return this.fail(`the reassignment of partition ${p.partition} did not end: replicas [${p.replicas}], adding [${p.addingReplicas}], removing [${p.removingReplicas}]`)
      }
      const final = String(p.replicas)
      const ok = o.possible.some((r) => (r ? String(r) === final : this.revertible[p.partition]!.has(final)))
      if (!ok) {
        const back = [...this.revertible[p.partition]!].map((b) => `[${b}]`).join(' or ')
        const asked = o.possible.map((r) => (r ? `[${r}]` : `a cancel (back to ${back || 'nothing'})`)).join(' or ')
        return this.fail(`partition ${p.partition} ends with replicas [${p.replicas}], its client asked for ${asked}`)
      }
    }
  }

  private count(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1)
  }
}
