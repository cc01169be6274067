/**
 * The transactional workload: a few transactional producers, one transactional id each, driving
 * the brokers' real transaction coordinator, partition leaders and group coordinator over the
 * simulated network as the Java client does (KIP-98, KIP-360, KIP-447, KIP-588):
 * FindCoordinator (key type 1), InitProducerId, then per transaction AddPartitionsToTxn for 1-3
 * partitions, transactional batches to each leader (sequences per partition, restarting with each
 * epoch), sometimes AddOffsetsToTxn and TxnOffsetCommit of the id's own group, and EndTxn, commit
 * mostly. Retriable errors and lost requests are retried (coordinator errors find the coordinator
 * again); an abortable error (a batch refused or given up on, an unexpected transaction state)
 * aborts and bumps the epoch with InitProducerId (KIP-360); a fencing error ends the instance, as a
 * fatal error closes a Java producer, and the application starts a new one.
 *
 * Faults of the client side, beside the cluster's: a zombie (a second instance of a transactional
 * id calls InitProducerId while the first is mid-transaction: the first is fenced), a producer
 * that stalls for about its transaction timeout and then asks to commit, and one that stops for
 * good mid-transaction (the coordinator's timeout must abort it; no instance of its id starts for
 * twice the timeout). Each transaction is recorded with its records (values that name the id, the
 * transaction and the partition) and the outcome its client saw; txn-invariants.ts checks them.
 */
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import type { Rng } from '../../src/cluster/rng.js'
import type { ProduceResponse } from '../../src/protocol/messages/00-produce.js'
import type { FindCoordinatorResponse } from '../../src/protocol/messages/10-find-coordinator.js'
import type { InitProducerIdResponse } from '../../src/protocol/messages/22-init-producer-id.js'
import type { AddPartitionsToTxnResponse } from '../../src/protocol/messages/24-add-partitions-to-txn.js'
import type { AddOffsetsToTxnResponse } from '../../src/protocol/messages/25-add-offsets-to-txn.js'
import type { EndTxnResponse } from '../../src/protocol/messages/26-end-txn.js'
import type { TxnOffsetCommitResponse } from '../../src/protocol/messages/28-txn-offset-commit.js'
import { coordinatorPartitionFor } from '../../src/cluster/coordinator-placement.js'
import { TXN_STATE_TOPIC } from '../../src/broker/txn-state-log.js'
import type { SimNode } from './sim-node.js'
import { PRODUCE } from './workload.js'

const api = (apiKey: number, version: number) => ({ apiKey, version, clientId: 'sim-txn' })
export const FIND_COORDINATOR = api(10, 3)
const INIT_PRODUCER_ID = api(22, 4)
const ADD_PARTITIONS = api(24, 3)
const ADD_OFFSETS = api(25, 3)
const END_TXN = api(26, 3)
const TXN_OFFSET_COMMIT = api(28, 3)
/** Kafka's retry.backoff.ms, scaled to the simulation's timeouts. */
const BACKOFF_MS = 20
/** Java's FindCoordinator key types. */
export const KeyType = { GROUP: 0, TRANSACTION: 1 } as const

const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE])
const COORDINATOR_BUSY = new Set<number>([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.CONCURRENT_TRANSACTIONS])
const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH])
/** Produce errors after which the same batch (same sequence) goes again to whoever leads. */
const PRODUCE_RETRIABLE = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.CONCURRENT_TRANSACTIONS,
])
/** Errors a transaction can meet that abort it (the Java client's abortable errors). */
const ABORTABLE = new Set<number>([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_TXN_STATE,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.OPERATION_NOT_ATTEMPTED,
])

/** What the client saw of a transaction's end. */
export type TxnEnd = 'committed' | 'aborted' | 'fenced' | 'unknown'

export interface TxnBatch {
  partition: number
  firstSeq: number
  values: string[]
  /** The offset its acknowledgement gave (null: not acknowledged; -1: acknowledged as a duplicate). */
  offset: number | null
}

export interface Transaction {
  /** `x<slot>.<n>`: the prefix of its record values. */
  name: string
  slot: number
  /** Its number within its transactional id: grows with every transaction of the id. */
  n: number
  instance: number
  producerId: number
  producerEpoch: number
  partitions: number[]
  /** When its first AddPartitionsToTxn was sent (the coordinator starts its timeout later). */
  startedMs: number | null
  batches: TxnBatch[]
  /** Per partition, the offset of its first acknowledged batch, and the `acks` count once the client learnt it. */
  firstOffsets: Map<number, { offset: number; ack: number }>
  /** Partitions whose offset (`n`) TxnOffsetCommit accepted in this transaction. */
  offsetPartitions: number[]
  /** EndTxn commit was sent: only then may a read_committed reader see its records. */
  commitSent: boolean
  /** EndTxn was sent (either way), or the client stopped: the transaction may end any time now. */
  endSent: boolean
  /** The client stalled (or stopped) in it: the coordinator may abort it on timeout. */
  stalled: boolean
  end: TxnEnd | null
}

interface Instance {
  slot: Slot
  number: number
  dead: boolean
  busy: boolean
  producerId: number
  producerEpoch: number
  coordinator: number | null
  groupCoordinator: number | null
  sequences: Map<number, number>
  /** When a newer instance of its id was told its epoch: nothing it sends after may succeed. */
  fencedAtMs: number | null
  /** When a newer instance of its id asked for its epoch: its transaction may be aborted from then. */
  successorSentMs: number | null
  /** A stall the next checkpoint takes (set by an action). */
  stall: { ms: number; forever: boolean } | null
  txn: Transaction | null
}

interface Slot {
  index: number
  transactionalId: string
  groupId: string
  instances: Instance[]
  nextTxn: number
  /** No new instance before then (a stopped producer's transaction must time out first). */
  blockedUntilMs: number
}

class Fenced extends Error {}
class Abortable extends Error {}
/** The instance stopped (or the run is ending): its work ends without a word. */
class Gone extends Error {}

/** The value of record `i` of transaction `name` in `partition`. */
export const txnValue = (name: string, partition: number, i: number): string => `${name}.p${partition}.${i}`
/** The transaction name and index of a transactional record value, or null for another record. */
export function parseTxnValue(value: string): { name: string; slot: number; n: number; i: number } | null {
  const m = /^x(\d+)\.(\d+)\.p\d+\.(\d+)$/.exec(value)
  return m ? { name: `x${m[1]}.${m[2]}`, slot: Number(m[1]), n: Number(m[2]), i: Number(m[3]) } : null
}
export const txnGroupId = (slot: number): string => `sim-txn-group-${slot}`

export class TransactionalProducers {
  readonly transactions = new Map<string, Transaction>()
  readonly errors = new Map<string, number>()
  readonly stats = { zombies: 0, stalls: 0, stops: 0, epochBumps: 0, offsetCommits: 0 }
  /** The run is ending: no transaction starts, stalled producers never come back. */
  stopping = false
  /** Transactional batches acknowledged so far: orders acknowledgements and reads within one virtual millisecond. */
  acks = 0
  /** Called when a transaction's first batch in a partition is acknowledged (a reader looks at the LSO then). */
  onFirstBatch: (partition: number) => void = () => undefined
  private readonly slots: Slot[]

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    private readonly partitions: number,
    count: number,
    readonly transactionTimeoutMs: number,
    private readonly produceTimeoutMs: number,
    private readonly requestTimeoutMs: number,
    private readonly rng: Rng,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      transactionalId: `sim-txn-${index}`,
      groupId: txnGroupId(index),
      instances: [],
      nextTxn: 0,
      blockedUntilMs: 0,
    }))
  }

  get slotCount(): number {
    return this.slots.length
  }

  transactionalId(slot: number): string {
    return this.slots[slot]!.transactionalId
  }

  /** Transactions under way (their instance still working on them). */
  open(): Transaction[] {
    const out: Transaction[] = []
    for (const s of this.slots) for (const i of s.instances) if (i.txn) out.push(i.txn)
    return out
  }

  /** The instance of a transaction, for the invariants' view of whether it may have ended. */
  successorSentMs(txn: Transaction): number | null {
    return this.slots[txn.slot]!.instances[txn.instance]!.successorSentMs
  }

  /** No instance is working (the end of a run waits for it). */
  get idle(): boolean {
    return this.slots.every((s) => s.instances.every((i) => !i.busy || i.dead))
  }

  private current(slot: Slot): Instance | undefined {
    return slot.instances.at(-1)
  }

  private newInstance(slot: Slot): Instance {
    const inst: Instance = {
      slot,
      number: slot.instances.length,
      dead: false,
      busy: false,
      producerId: -1,
      producerEpoch: -1,
      coordinator: null,
      groupCoordinator: null,
      sequences: new Map(),
      fencedAtMs: null,
      successorSentMs: null,
      stall: null,
      txn: null,
    }
    slot.instances.push(inst)
    return inst
  }

  /** Starts a transaction on an idle producer (a new instance if its last one died). */
  begin(slotIndex: number): string | null {
    const slot = this.slots[slotIndex]!
    if (this.stopping || this.sim.sched.nowMs() < slot.blockedUntilMs) return null
    let inst = this.current(slot)
    if (inst?.busy && !inst.dead) return null
    if (!inst || inst.dead) inst = this.newInstance(slot)
    this.run(inst, `${slot.transactionalId}#${inst.number} transaction`, this.transaction(inst))
    return `${slot.transactionalId}#${inst.number} begins a transaction`
  }

  /** A second instance of a transactional id starts while the current one is mid-transaction. */
  zombie(slotIndex: number): string | null {
    const slot = this.slots[slotIndex]!
    const old = this.current(slot)
    if (this.stopping || !old?.txn || old.dead || this.sim.sched.nowMs() < slot.blockedUntilMs) return null
    const inst = this.newInstance(slot)
    this.stats.zombies++
    this.run(inst, `${slot.transactionalId}#${inst.number} init`, this.initialise(inst))
    return `${slot.transactionalId}#${inst.number} starts beside #${old.number} (mid-transaction ${old.txn.name})`
  }

  /** The current instance stalls at its next step (for good when `forever`). */
  stall(slotIndex: number, forever: boolean): string | null {
    const slot = this.slots[slotIndex]!
    const inst = this.current(slot)
    if (this.stopping || !inst?.txn || inst.dead || inst.stall) return null
    const ms = Math.round(this.transactionTimeoutMs * (0.5 + this.rng.next() * 1.5))
    inst.stall = { ms, forever }
    return `${slot.transactionalId}#${inst.number} ${forever ? 'stops' : `stalls ${ms} ms`} in ${inst.txn.name}`
  }

  /** Transactional ids with a transaction under way. */
  busySlots(): number[] {
    return this.slots.filter((s) => s.instances.some((i) => i.txn && !i.dead)).map((s) => s.index)
  }

  /** The broker the metadata names as a transactional id's coordinator (the leader of its __transaction_state partition). */
  coordinatorOf(slotIndex: number): number | null {
    const topic = this.sim.image.topicsByName.get(TXN_STATE_TOPIC)
    if (!topic) return null
    const leader = topic.partitions[coordinatorPartitionFor(this.slots[slotIndex]!.transactionalId, topic.partitions.length)]?.leader ?? -1
    return leader >= 0 ? leader : null
  }

  private run(inst: Instance, what: string, work: Promise<void>): void {
    inst.busy = true
    work.then(
      () => {
        inst.busy = false
      },
      (error: unknown) => {
        inst.busy = false
        if (error instanceof Gone) return
        // Fenced (or refused) before its transaction began: the application starts a new producer.
        if (error instanceof Fenced || error instanceof Abortable) {
          inst.dead = true
          this.trace?.(() => `${what}: ${error.message}`)
          return
        }
        this.fail(`${what} threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      },
    )
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sim.sched.setTimer(resolve, ms))
  }

  private backoff(): Promise<void> {
    return this.sleep(BACKOFF_MS + this.rng.int(BACKOFF_MS))
  }

  private count(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1)
  }

  private name(inst: Instance): string {
    return `${inst.slot.transactionalId}#${inst.number}`
  }

  /** One request; null when lost (reset, refused, timed out). Throws Gone once the instance is dead. */
  private async call<R>(inst: Instance, to: number, apiVersion: ReturnType<typeof api>, body: unknown, timeoutMs: number, what: string): Promise<{ r: R | null; sentMs: number }> {
    if (inst.dead) throw new Gone()
    const sentMs = this.sim.sched.nowMs()
    let r: R | null = null
    try {
      r = await this.sim.net.request<R>(to, apiVersion, body, timeoutMs)
    } catch (error) {
      this.count('lost')
      this.trace?.(() => `${this.name(inst)} ${what} to b${to}: lost (${String(error)})`)
    }
    if (inst.dead) throw new Gone()
    return { r, sentMs }
  }

  /** A request of a fenced instance succeeded: a fenced producer must write nothing. */
  private checkNotFenced(inst: Instance, sentMs: number, what: string): void {
    if (inst.fencedAtMs !== null && sentMs > inst.fencedAtMs) {
      this.fail(`${this.name(inst)}'s ${what}, sent at ${sentMs} ms, succeeded though a newer instance got its epoch at ${inst.fencedAtMs} ms`)
    }
  }

  /** An error that ends a step: fencing, abortable, or unexpected (the run fails on those). */
  private refused(inst: Instance, what: string, errorCode: number): never {
    const name = errorName(errorCode)
    this.count(name)
    this.trace?.(() => `${this.name(inst)} ${what}: ${name}`)
    if (FENCED.has(errorCode)) throw new Fenced(`${what}: ${name}`)
    if (ABORTABLE.has(errorCode)) throw new Abortable(`${what}: ${name}`)
    this.fail(`${this.name(inst)} ${what} answered ${name}, which no transactional client expects`)
    throw new Gone()
  }

  /** A broker to ask where a coordinator is. */
  private async anyBroker(inst: Instance): Promise<number> {
    for (;;) {
      if (inst.dead) throw new Gone()
      const up = this.sim.withCondition('up')
      if (up.length > 0) return up[this.rng.int(up.length)]!
      await this.backoff()
    }
  }

  private async findCoordinator(inst: Instance, keyType: number, key: string): Promise<number> {
    for (;;) {
      const to = await this.anyBroker(inst)
      const { r } = await this.call<FindCoordinatorResponse>(inst, to, FIND_COORDINATOR, { key, keyType }, this.requestTimeoutMs, `FindCoordinator ${key}`)
      if (r?.errorCode === ErrorCode.NONE) return r.nodeId
      if (r) this.count(errorName(r.errorCode))
      await this.backoff()
    }
  }

  private async txnCoordinator(inst: Instance): Promise<number> {
    if (inst.coordinator === null || this.sim.condition(inst.coordinator) === 'down') {
      inst.coordinator = await this.findCoordinator(inst, KeyType.TRANSACTION, inst.slot.transactionalId)
    }
    return inst.coordinator
  }

  /**
   * A request to the transaction coordinator, retried until it answers something else than a
   * coordinator error (found again when it moved or the request was lost).
   */
  private async toCoordinator<R>(inst: Instance, apiVersion: ReturnType<typeof api>, body: unknown, what: string, errorOf: (r: R) => number): Promise<{ r: R; sentMs: number }> {
    for (;;) {
      const to = await this.txnCoordinator(inst)
      const { r, sentMs } = await this.call<R>(inst, to, apiVersion, body, this.requestTimeoutMs, what)
      const errorCode = r === null ? null : errorOf(r)
      if (r !== null && errorCode !== null && !COORDINATOR_MOVED.has(errorCode) && !COORDINATOR_BUSY.has(errorCode)) return { r, sentMs }
      if (errorCode !== null) this.count(errorName(errorCode))
      if (errorCode === null || COORDINATOR_MOVED.has(errorCode)) inst.coordinator = null
      await this.backoff()
    }
  }

  /** InitProducerId: a new instance's epoch (fencing its predecessors), or a bump of its own (KIP-360). */
  private async initialise(inst: Instance, bump = false): Promise<void> {
    const slot = inst.slot
    if (!bump) for (const other of slot.instances) if (other !== inst && other.successorSentMs === null) other.successorSentMs = this.sim.sched.nowMs()
    const body = {
      transactionalId: slot.transactionalId,
      transactionTimeoutMs: this.transactionTimeoutMs,
      producerId: bump ? inst.producerId : -1,
      producerEpoch: bump ? inst.producerEpoch : -1,
    }
    const what = bump ? `InitProducerId bumping ${inst.producerId}/${inst.producerEpoch}` : 'InitProducerId'
    const { r } = await this.toCoordinator<InitProducerIdResponse>(inst, INIT_PRODUCER_ID, body, what, (x) => x.errorCode)
    if (r.errorCode !== ErrorCode.NONE) this.refused(inst, what, r.errorCode)
    inst.producerId = r.producerId
    inst.producerEpoch = r.producerEpoch
    inst.sequences.clear()
    if (bump) this.stats.epochBumps++
    const now = this.sim.sched.nowMs()
    for (const other of slot.instances) if (other.number < inst.number && other.fencedAtMs === null) other.fencedAtMs = now
    this.trace?.(() => `${this.name(inst)} ${what}: producer ${r.producerId} epoch ${r.producerEpoch}`)
  }

  /** One transaction, from its first AddPartitionsToTxn to its end, whatever happens. */
  private async transaction(inst: Instance): Promise<void> {
    const slot = inst.slot
    if (inst.producerId < 0) await this.initialise(inst)
    const n = slot.nextTxn++
    const count = 1 + this.rng.int(Math.min(3, this.partitions))
    const left = [...Array(this.partitions).keys()]
    const partitions = Array.from({ length: count }, () => left.splice(this.rng.int(left.length), 1)[0]!).sort((a, b) => a - b)
    const txn: Transaction = {
      name: `x${slot.index}.${n}`,
      slot: slot.index,
      n,
      instance: inst.number,
      producerId: inst.producerId,
      producerEpoch: inst.producerEpoch,
      partitions,
      startedMs: null,
      batches: [],
      firstOffsets: new Map(),
      offsetPartitions: [],
      commitSent: false,
      endSent: false,
      stalled: false,
      end: null,
    }
    this.transactions.set(txn.name, txn)
    inst.txn = txn
    let added = false
    try {
      try {
        txn.startedMs = this.sim.sched.nowMs()
        await this.addPartitions(inst, txn)
        added = true
        let stalled = await this.checkpoint(inst, txn)
        for (let k = 0; !stalled && k < partitions.length; k++) {
          for (let b = 1 + this.rng.int(2); !stalled && b > 0; b--) {
            await this.produce(inst, txn, partitions[k]!, 1 + this.rng.int(3))
            stalled = await this.checkpoint(inst, txn)
          }
        }
        if (!stalled && this.rng.int(3) === 0) {
          await this.commitOffsets(inst, txn)
          stalled = await this.checkpoint(inst, txn)
        }
        // A stalled producer comes back and asks to commit: the coordinator should have aborted.
        await this.endTxn(inst, txn, stalled || this.rng.int(5) !== 0)
      } catch (error) {
        if (!(error instanceof Abortable)) throw error
        this.trace?.(() => `${this.name(inst)} aborts ${txn.name}: ${error.message}`)
        // Nothing added, nothing to end at the coordinator (the Java client sends no EndTxn then).
        if (added) await this.endTxn(inst, txn, false)
        else txn.end = 'aborted'
        // A batch's fate may be unknown: a new epoch restarts the sequences (KIP-360).
        await this.initialise(inst, true)
      }
    } catch (error) {
      if (error instanceof Fenced) {
        txn.end ??= 'fenced'
        txn.endSent = true
        inst.dead = true
        this.trace?.(() => `${this.name(inst)} is fenced in ${txn.name}: ${error.message}`)
        return
      }
      if (error instanceof Abortable) {
        // The abort itself or the bump met an abortable error: start afresh.
        txn.end ??= 'unknown'
        txn.endSent = true
        inst.dead = true
        return
      }
      if (error instanceof Gone) {
        txn.endSent = true
        txn.end ??= 'unknown'
      }
      throw error
    } finally {
      if (inst.txn === txn) inst.txn = null
    }
  }

  /** Where a stall takes effect. True: the producer stalled and comes back to commit at once. */
  private async checkpoint(inst: Instance, txn: Transaction): Promise<boolean> {
    const stall = inst.stall
    if (!stall) return false
    inst.stall = null
    txn.stalled = true
    if (stall.forever) {
      this.stats.stops++
      this.stopInstance(inst, txn)
    }
    this.stats.stalls++
    this.trace?.(() => `${this.name(inst)} stalls in ${txn.name} for ${stall.ms} ms`)
    await this.sleep(stall.ms)
    if (this.stopping) this.stopInstance(inst, txn)
    return true
  }

  /** The producer stops for good: its id gets no new instance before its transaction timed out. */
  private stopInstance(inst: Instance, txn: Transaction): never {
    inst.dead = true
    txn.endSent = true
    txn.end ??= 'unknown'
    inst.slot.blockedUntilMs = this.sim.sched.nowMs() + 2 * this.transactionTimeoutMs
    this.trace?.(() => `${this.name(inst)} stops in ${txn.name}`)
    throw new Gone()
  }

  private async addPartitions(inst: Instance, txn: Transaction): Promise<void> {
    const body = {
      v3AndBelowTransactionalId: inst.slot.transactionalId,
      v3AndBelowProducerId: inst.producerId,
      v3AndBelowProducerEpoch: inst.producerEpoch,
      v3AndBelowTopics: [{ name: this.topicName, partitions: txn.partitions }],
    }
    const what = `AddPartitionsToTxn ${txn.name} [${txn.partitions}]`
    const worst = (r: AddPartitionsToTxnResponse): number => {
      const codes = r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode))
      return codes.find((c) => c !== ErrorCode.NONE && c !== ErrorCode.OPERATION_NOT_ATTEMPTED) ?? codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE
    }
    for (;;) {
      const { r, sentMs } = await this.toCoordinator<AddPartitionsToTxnResponse>(inst, ADD_PARTITIONS, body, what, worst)
      const errorCode = worst(r)
      if (errorCode === ErrorCode.NONE) {
        this.checkNotFenced(inst, sentMs, what)
        this.trace?.(() => `${this.name(inst)} ${what}: added`)
        return
      }
      if (errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || errorCode === ErrorCode.OPERATION_NOT_ATTEMPTED) {
        this.count(errorName(errorCode))
        await this.backoff()
        continue
      }
      this.refused(inst, what, errorCode)
    }
  }

  private async produce(inst: Instance, txn: Transaction, partition: number, records: number): Promise<void> {
    const firstSeq = inst.sequences.get(partition) ?? 0
    inst.sequences.set(partition, firstSeq + records)
    const batch: TxnBatch = { partition, firstSeq, values: [], offset: null }
    const base = txn.batches.filter((b) => b.partition === partition).reduce((n, b) => n + b.values.length, 0)
    for (let i = 0; i < records; i++) batch.values.push(txnValue(txn.name, partition, base + i))
    txn.batches.push(batch)
    const bytes = encodeRecordBatch({
      records: batch.values.map((value) => ({ value })),
      baseTimestamp: this.sim.sched.nowMs(),
      producerId: inst.producerId,
      producerEpoch: inst.producerEpoch,
      baseSequence: firstSeq,
      transactional: true,
    })
    const request = {
      transactionalId: inst.slot.transactionalId,
      acks: -1,
      timeoutMs: this.produceTimeoutMs,
      topicData: [{ name: this.topicName, partitionData: [{ index: partition, records: bytes }] }],
    }
    // As delivery.timeout.ms: past the transaction's timeout the coordinator aborts it anyway.
    const giveUpMs = this.sim.sched.nowMs() + this.transactionTimeoutMs
    for (let attempt = 0; this.sim.sched.nowMs() < giveUpMs; ) {
      const p = this.sim.image.partition(this.topicName, partition)
      if (!p || p.leader < 0 || this.sim.condition(p.leader) !== 'up') {
        await this.backoff()
        continue
      }
      attempt++
      const what = `produce ${batch.values[0]} +${batch.values.length} seq ${firstSeq} (producer ${inst.producerId}/${inst.producerEpoch}) attempt ${attempt}`
      const { r, sentMs } = await this.call<ProduceResponse>(inst, p.leader, PRODUCE, request, this.produceTimeoutMs + this.requestTimeoutMs, what)
      const result = r?.responses[0]?.partitionResponses[0]
      if (!result) {
        await this.backoff()
        continue
      }
      if (result.errorCode === ErrorCode.NONE || result.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        this.checkNotFenced(inst, sentMs, what)
        batch.offset = result.errorCode === ErrorCode.NONE ? result.baseOffset : -1
        if (batch.offset >= 0 && !txn.firstOffsets.has(partition)) {
          txn.firstOffsets.set(partition, { offset: batch.offset, ack: ++this.acks })
          this.onFirstBatch(partition)
        }
        this.trace?.(() => `${this.name(inst)} ${what}: at ${result.baseOffset} by b${p.leader}`)
        return
      }
      if (!PRODUCE_RETRIABLE.has(result.errorCode)) this.refused(inst, what, result.errorCode)
      this.count(errorName(result.errorCode))
      this.trace?.(() => `${this.name(inst)} ${what}: ${errorName(result.errorCode)}`)
      await this.backoff()
    }
    throw new Abortable(`gave up on ${batch.values[0]} after ${this.transactionTimeoutMs} ms`)
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit of offset `n` for the transaction's partitions in the id's group. */
  private async commitOffsets(inst: Instance, txn: Transaction): Promise<void> {
    const slot = inst.slot
    const add = { transactionalId: slot.transactionalId, producerId: inst.producerId, producerEpoch: inst.producerEpoch, groupId: slot.groupId }
    const addWhat = `AddOffsetsToTxn ${txn.name} ${slot.groupId}`
    const added = await this.toCoordinator<AddOffsetsToTxnResponse>(inst, ADD_OFFSETS, add, addWhat, (x) => x.errorCode)
    if (added.r.errorCode !== ErrorCode.NONE) this.refused(inst, addWhat, added.r.errorCode)
    this.checkNotFenced(inst, added.sentMs, addWhat)
    const body = {
      transactionalId: slot.transactionalId,
      groupId: slot.groupId,
      producerId: inst.producerId,
      producerEpoch: inst.producerEpoch,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: this.topicName, partitions: txn.partitions.map((p) => ({ partitionIndex: p, committedOffset: txn.n, committedLeaderEpoch: -1, committedMetadata: null })) }],
    }
    const what = `TxnOffsetCommit ${txn.name} ${slot.groupId} @${txn.n}`
    for (;;) {
      if (inst.groupCoordinator === null || this.sim.condition(inst.groupCoordinator) === 'down') {
        inst.groupCoordinator = await this.findCoordinator(inst, KeyType.GROUP, slot.groupId)
      }
      const { r, sentMs } = await this.call<TxnOffsetCommitResponse>(inst, inst.groupCoordinator, TXN_OFFSET_COMMIT, body, this.requestTimeoutMs + 5_000, what)
      const codes = r?.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)) ?? []
      const errorCode = r === null ? null : (codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE)
      if (errorCode === ErrorCode.NONE) {
        this.checkNotFenced(inst, sentMs, what)
        txn.offsetPartitions = [...txn.partitions]
        this.stats.offsetCommits++
        this.trace?.(() => `${this.name(inst)} ${what}: pending`)
        return
      }
      if (errorCode !== null) this.count(errorName(errorCode))
      if (errorCode === null || COORDINATOR_MOVED.has(errorCode)) inst.groupCoordinator = null
      else if (!COORDINATOR_BUSY.has(errorCode) && errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && errorCode !== ErrorCode.REQUEST_TIMED_OUT) {
        if (errorCode === ErrorCode.UNKNOWN_MEMBER_ID || errorCode === ErrorCode.ILLEGAL_GENERATION) throw new Abortable(`${what}: ${errorName(errorCode)}`)
        this.refused(inst, what, errorCode)
      }
      await this.backoff()
    }
  }

  private async endTxn(inst: Instance, txn: Transaction, commit: boolean): Promise<void> {
    if (commit) txn.commitSent = true
    txn.endSent = true
    const body = { transactionalId: inst.slot.transactionalId, producerId: inst.producerId, producerEpoch: inst.producerEpoch, committed: commit }
    const what = `EndTxn ${commit ? 'commit' : 'abort'} ${txn.name}`
    const { r, sentMs } = await this.toCoordinator<EndTxnResponse>(inst, END_TXN, body, what, (x) => x.errorCode)
    if (r.errorCode !== ErrorCode.NONE) {
      txn.end = 'unknown'
      this.refused(inst, what, r.errorCode)
    }
    this.checkNotFenced(inst, sentMs, what)
    txn.end = commit ? 'committed' : 'aborted'
    this.trace?.(() => `${this.name(inst)} ${what}: done`)
  }
}
