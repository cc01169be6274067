/**
 * One transactional producer instance's requests, as the Java client sends them (KIP-98, KIP-360,
 * KIP-447, KIP-588): FindCoordinator, InitProducerId, AddPartitionsToTxn, transactional Produce,
 * AddOffsetsToTxn and TxnOffsetCommit, EndTxn, over the simulated network. Coordinator errors and
 * lost requests find the coordinator again and retry; CONCURRENT_TRANSACTIONS and
 * COORDINATOR_LOAD_IN_PROGRESS retry after a backoff; a batch goes again with its sequence to
 * whoever leads until the transaction's timeout (delivery.timeout.ms). What ends a step is thrown:
 * Fenced (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH: the instance is done), Abortable (the
 * transaction must abort), Gone (the instance stopped); an error no client expects fails the run.
 * Every success of an instance fenced by a newer one's InitProducerId fails the run: a fenced
 * producer writes nothing. The workload that drives it is transactions.ts.
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

export interface Instance {
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
  /** A stall the next checkpoint takes (set by an action); `write`: then one more batch, as a zombie writes on. */
  stall: { ms: number; forever: boolean; write?: boolean } | null
  txn: Transaction | null
}

export interface Slot {
  index: number
  transactionalId: string
  groupId: string
  instances: Instance[]
  nextTxn: number
  /** No new instance before then (a stopped producer's transaction must time out first). */
  blockedUntilMs: number
}

export class Fenced extends Error {}
export class Abortable extends Error {}
/** The instance stopped (or the run is ending): its work ends without a word. */
export class Gone extends Error {}

/** The value of record `i` of transaction `name` in `partition`. */
export const txnValue = (name: string, partition: number, i: number): string => `${name}.p${partition}.${i}`
/** The transaction name and index of a transactional record value, or null for another record. */
export function parseTxnValue(value: string): { name: string; slot: number; n: number; i: number } | null {
  const m = /^x(\d+)\.(\d+)\.p\d+\.(\d+)$/.exec(value)
  return m ? { name: `x${m[1]}.${m[2]}`, slot: Number(m[1]), n: Number(m[2]), i: Number(m[3]) } : null
}
export const txnGroupId = (slot: number): string => `sim-txn-group-${slot}`

export interface TxnClientOptions {
  sim: SimNode
  topicName: string
  transactionTimeoutMs: number
  produceTimeoutMs: number
  requestTimeoutMs: number
  rng: Rng
  trace: ((line: () => string) => void) | null
  fail: (message: string) => void
  /** Error names and lost requests, counted. */
  errors: Map<string, number>
  stats: { epochBumps: number; offsetCommits: number }
}

export class TxnClient {
  /** Transactional batches acknowledged so far: orders acknowledgements and reads within one virtual millisecond. */
  acks = 0
  /** Called when a transaction's first batch in a partition is acknowledged (a reader looks at the LSO then). */
  onFirstBatch: (partition: number) => void = () => undefined

  constructor(private readonly o: TxnClientOptions) {}

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.sim.sched.setTimer(resolve, ms))
  }

  private backoff(): Promise<void> {
    return this.sleep(BACKOFF_MS + this.o.rng.int(BACKOFF_MS))
  }

  private count(what: string): void {
    this.o.errors.set(what, (this.o.errors.get(what) ?? 0) + 1)
  }

  name(inst: Instance): string {
    return `${inst.slot.transactionalId}#${inst.number}`
  }

  /** One request; null when lost (reset, refused, timed out). Throws Gone once the instance is dead. */
  private async call<R>(inst: Instance, to: number, apiVersion: ReturnType<typeof api>, body: unknown, timeoutMs: number, what: string): Promise<{ r: R | null; sentMs: number }> {
    if (inst.dead) throw new Gone()
    const sentMs = this.o.sim.sched.nowMs()
    let r: R | null = null
    try {
      r = await this.o.sim.net.request<R>(to, apiVersion, body, timeoutMs)
    } catch (error) {
      this.count('lost')
      this.o.trace?.(() => `${this.name(inst)} ${what} to b${to}: lost (${String(error)})`)
    }
    if (inst.dead) throw new Gone()
    return { r, sentMs }
  }

  /** A request of a fenced instance succeeded: a fenced producer must write nothing. */
  private checkNotFenced(inst: Instance, sentMs: number, what: string): void {
    if (inst.fencedAtMs !== null && sentMs > inst.fencedAtMs) {
      this.o.fail(`${this.name(inst)}'s ${what}, sent at ${sentMs} ms, succeeded though a newer instance got its epoch at ${inst.fencedAtMs} ms`)
    }
  }

  /** An error that ends a step: fencing, abortable, or unexpected (the run fails on those). */
  private refused(inst: Instance, what: string, errorCode: number): never {
    const name = errorName(errorCode)
    this.count(name)
    this.o.trace?.(() => `${this.name(inst)} ${what}: ${name}`)
    if (FENCED.has(errorCode)) throw new Fenced(`${what}: ${name}`)
    if (ABORTABLE.has(errorCode)) throw new Abortable(`${what}: ${name}`)
    this.o.fail(`${this.name(inst)} ${what} answered ${name}, which no transactional client expects`)
    throw new Gone()
  }

  /** A broker to ask where a coordinator is. */
  private async anyBroker(inst: Instance): Promise<number> {
    for (;;) {
      if (inst.dead) throw new Gone()
      const up = this.o.sim.withCondition('up')
      if (up.length > 0) return up[this.o.rng.int(up.length)]!
      await this.backoff()
    }
  }

  private async findCoordinator(inst: Instance, keyType: number, key: string): Promise<number> {
    for (;;) {
      const to = await this.anyBroker(inst)
      const { r } = await this.call<FindCoordinatorResponse>(inst, to, FIND_COORDINATOR, { key, keyType }, this.o.requestTimeoutMs, `FindCoordinator ${key}`)
      if (r?.errorCode === ErrorCode.NONE) return r.nodeId
      if (r) this.count(errorName(r.errorCode))
      await this.backoff()
    }
  }

  private async txnCoordinator(inst: Instance): Promise<number> {
    if (inst.coordinator === null || this.o.sim.condition(inst.coordinator) === 'down') {
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
      const { r, sentMs } = await this.call<R>(inst, to, apiVersion, body, this.o.requestTimeoutMs, what)
      const errorCode = r === null ? null : errorOf(r)
      if (r !== null && errorCode !== null && !COORDINATOR_MOVED.has(errorCode) && !COORDINATOR_BUSY.has(errorCode)) return { r, sentMs }
      if (errorCode !== null) this.count(errorName(errorCode))
      if (errorCode === null || COORDINATOR_MOVED.has(errorCode)) inst.coordinator = null
      await this.backoff()
    }
  }

  /** InitProducerId: a new instance's epoch (fencing its predecessors), or a bump of its own (KIP-360). */
  async initialise(inst: Instance, bump = false): Promise<void> {
    const slot = inst.slot
    if (!bump) for (const other of slot.instances) if (other !== inst && other.successorSentMs === null) other.successorSentMs = this.o.sim.sched.nowMs()
    const body = {
      transactionalId: slot.transactionalId,
      transactionTimeoutMs: this.o.transactionTimeoutMs,
      producerId: bump ? inst.producerId : -1,
      producerEpoch: bump ? inst.producerEpoch : -1,
    }
    const what = bump ? `InitProducerId bumping ${inst.producerId}/${inst.producerEpoch}` : 'InitProducerId'
    const { r } = await this.toCoordinator<InitProducerIdResponse>(inst, INIT_PRODUCER_ID, body, what, (x) => x.errorCode)
    if (r.errorCode !== ErrorCode.NONE) this.refused(inst, what, r.errorCode)
    inst.producerId = r.producerId
    inst.producerEpoch = r.producerEpoch
    inst.sequences.clear()
    if (bump) this.o.stats.epochBumps++
    const now = this.o.sim.sched.nowMs()
    for (const other of slot.instances) if (other.number < inst.number && other.fencedAtMs === null) other.fencedAtMs = now
    this.o.trace?.(() => `${this.name(inst)} ${what}: producer ${r.producerId} epoch ${r.producerEpoch}`)
  }

  async addPartitions(inst: Instance, txn: Transaction): Promise<void> {
    const body = {
      v3AndBelowTransactionalId: inst.slot.transactionalId,
      v3AndBelowProducerId: inst.producerId,
      v3AndBelowProducerEpoch: inst.producerEpoch,
      v3AndBelowTopics: [{ name: this.o.topicName, partitions: txn.partitions }],
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
        this.o.trace?.(() => `${this.name(inst)} ${what}: added`)
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

  async produce(inst: Instance, txn: Transaction, partition: number, records: number): Promise<void> {
    const firstSeq = inst.sequences.get(partition) ?? 0
    inst.sequences.set(partition, firstSeq + records)
    const batch: TxnBatch = { partition, firstSeq, values: [], offset: null }
    const base = txn.batches.filter((b) => b.partition === partition).reduce((n, b) => n + b.values.length, 0)
    for (let i = 0; i < records; i++) batch.values.push(txnValue(txn.name, partition, base + i))
    txn.batches.push(batch)
    const bytes = encodeRecordBatch({
      records: batch.values.map((value) => ({ value })),
      baseTimestamp: this.o.sim.sched.nowMs(),
      producerId: inst.producerId,
      producerEpoch: inst.producerEpoch,
      baseSequence: firstSeq,
      transactional: true,
    })
    const request = {
      transactionalId: inst.slot.transactionalId,
      acks: -1,
      timeoutMs: this.o.produceTimeoutMs,
      topicData: [{ name: this.o.topicName, partitionData: [{ index: partition, records: bytes }] }],
    }
    // As delivery.timeout.ms: past the transaction's timeout the coordinator aborts it anyway.
    const giveUpMs = this.o.sim.sched.nowMs() + this.o.transactionTimeoutMs
    for (let attempt = 0; this.o.sim.sched.nowMs() < giveUpMs; ) {
      const p = this.o.sim.image.partition(this.o.topicName, partition)
      if (!p || p.leader < 0 || this.o.sim.condition(p.leader) !== 'up') {
        await this.backoff()
        continue
      }
      attempt++
      const what = `produce ${batch.values[0]} +${batch.values.length} seq ${firstSeq} (producer ${inst.producerId}/${inst.producerEpoch}) attempt ${attempt}`
      const { r, sentMs } = await this.call<ProduceResponse>(inst, p.leader, PRODUCE, request, this.o.produceTimeoutMs + this.o.requestTimeoutMs, what)
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
        this.o.trace?.(() => `${this.name(inst)} ${what}: at ${result.baseOffset} by b${p.leader}`)
        return
      }
      if (!PRODUCE_RETRIABLE.has(result.errorCode)) this.refused(inst, what, result.errorCode)
      this.count(errorName(result.errorCode))
      this.o.trace?.(() => `${this.name(inst)} ${what}: ${errorName(result.errorCode)}`)
      await this.backoff()
    }
    throw new Abortable(`gave up on ${batch.values[0]} after ${this.o.transactionTimeoutMs} ms`)
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit of offset `n` for the transaction's partitions in the id's group. */
  async commitOffsets(inst: Instance, txn: Transaction): Promise<void> {
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
      topics: [{ name: this.o.topicName, partitions: txn.partitions.map((p) => ({ partitionIndex: p, committedOffset: txn.n, committedLeaderEpoch: -1, committedMetadata: null })) }],
    }
    const what = `TxnOffsetCommit ${txn.name} ${slot.groupId} @${txn.n}`
    for (;;) {
      if (inst.groupCoordinator === null || this.o.sim.condition(inst.groupCoordinator) === 'down') {
        inst.groupCoordinator = await this.findCoordinator(inst, KeyType.GROUP, slot.groupId)
      }
      const { r, sentMs } = await this.call<TxnOffsetCommitResponse>(inst, inst.groupCoordinator, TXN_OFFSET_COMMIT, body, this.o.requestTimeoutMs + 5_000, what)
      const codes = r?.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)) ?? []
      const errorCode = r === null ? null : (codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE)
      if (errorCode === ErrorCode.NONE) {
        this.checkNotFenced(inst, sentMs, what)
        txn.offsetPartitions = [...txn.partitions]
        this.o.stats.offsetCommits++
        this.o.trace?.(() => `${this.name(inst)} ${what}: pending`)
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

  async endTxn(inst: Instance, txn: Transaction, commit: boolean): Promise<void> {
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
    this.o.trace?.(() => `${this.name(inst)} ${what}: done`)
  }
}
