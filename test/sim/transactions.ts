/**
 * The transactional workload: a few transactional producers, one transactional id each, driving
 * the brokers' real transaction coordinator, partition leaders and group coordinator over the
 * simulated network as the Java client does (KIP-98, KIP-360, KIP-447, KIP-588):
 * FindCoordinator (key type 1), InitProducerId, then per transaction AddPartitionsToTxn for 1-3
 * partitions, transactional batches to each leader (sequences per partition, restarting with each
 * epoch), sometimes AddOffsetsToTxn and TxnOffsetCommit of the id's own group, and EndTxn, commit
 * mostly. The requests and their retries are txn-client.ts; here, what ends a step: an abortable
 * error (a batch refused or given up on, an unexpected transaction state) aborts and bumps the
 * epoch with InitProducerId (KIP-360); a fencing error ends the instance, as a fatal error closes a
 * Java producer, and the application starts a new one.
 *
 * Faults of the client side, beside the cluster's: a zombie (a second instance of a transactional
 * id calls InitProducerId while the first is mid-transaction: the first is fenced, and half the
 * time it pauses meanwhile and then writes one more batch, which must be refused), a producer
 * that stalls for about its transaction timeout and then asks to commit, and one that stops for
 * good mid-transaction (the coordinator's timeout must abort it; no instance of its id starts for
 * twice the timeout). Each transaction is recorded with its records (values that name the id, the
 * transaction and the partition) and the outcome its client saw; txn-invariants.ts checks them.
 */
import type { Rng } from '../../src/cluster/rng.js'
import { coordinatorPartitionFor } from '../../src/cluster/coordinator-placement.js'
import { TXN_STATE_TOPIC } from '../../src/broker/txn-state-log.js'
import type { SimNode } from './sim-node.js'
import { Abortable, Fenced, Gone, TxnClient, txnGroupId, type Instance, type Slot, type Transaction } from './txn-client.js'

export class TransactionalProducers {
  readonly transactions = new Map<string, Transaction>()
  readonly errors = new Map<string, number>()
  readonly stats = { zombies: 0, zombieWrites: 0, stalls: 0, stops: 0, epochBumps: 0, offsetCommits: 0 }
  readonly client: TxnClient
  /** The run is ending: no transaction starts, stalled producers never come back. */
  stopping = false
  private readonly slots: Slot[]

  constructor(
    private readonly sim: SimNode,
    topicName: string,
    private readonly partitions: number,
    count: number,
    readonly transactionTimeoutMs: number,
    produceTimeoutMs: number,
    requestTimeoutMs: number,
    private readonly rng: Rng,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
  ) {
    this.client = new TxnClient({ sim, topicName, transactionTimeoutMs, produceTimeoutMs, requestTimeoutMs, rng, trace, fail, errors: this.errors, stats: this.stats })
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      transactionalId: `sim-txn-${index}`,
      groupId: txnGroupId(index),
      instances: [],
      nextTxn: 0,
      blockedUntilMs: 0,
    }))
  }

  /** Transactional batches acknowledged so far (see TxnClient.acks). */
  get acks(): number {
    return this.client.acks
  }

  set onFirstBatch(fn: (partition: number) => void) {
    this.client.onFirstBatch = fn
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
    // Half the time the old instance pauses while the new one takes over, then writes on.
    if (this.rng.int(2) === 0) old.stall ??= { ms: 200 + this.rng.int(400), forever: false, write: true }
    this.run(inst, `${slot.transactionalId}#${inst.number} init`, this.client.initialise(inst))
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

  /** One transaction, from its first AddPartitionsToTxn to its end, whatever happens. */
  private async transaction(inst: Instance): Promise<void> {
    const slot = inst.slot
    if (inst.producerId < 0) await this.client.initialise(inst)
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
        await this.client.addPartitions(inst, txn)
        added = true
        let stalled = await this.checkpoint(inst, txn)
        for (let k = 0; !stalled && k < partitions.length; k++) {
          for (let b = 1 + this.rng.int(2); !stalled && b > 0; b--) {
            await this.client.produce(inst, txn, partitions[k]!, 1 + this.rng.int(3))
            stalled = await this.checkpoint(inst, txn)
          }
        }
        if (!stalled && this.rng.int(3) === 0) {
          await this.client.commitOffsets(inst, txn)
          stalled = await this.checkpoint(inst, txn)
        }
        // A stalled producer comes back and asks to commit: the coordinator should have aborted.
        await this.client.endTxn(inst, txn, stalled || this.rng.int(5) !== 0)
      } catch (error) {
        if (!(error instanceof Abortable)) throw error
        this.trace?.(() => `${this.client.name(inst)} aborts ${txn.name}: ${error.message}`)
        // Nothing added, nothing to end at the coordinator (the Java client sends no EndTxn then).
        if (added) await this.client.endTxn(inst, txn, false)
        else txn.end = 'aborted'
        // A batch's fate may be unknown: a new epoch restarts the sequences (KIP-360).
        await this.client.initialise(inst, true)
      }
    } catch (error) {
      if (error instanceof Fenced) {
        txn.end ??= 'fenced'
        txn.endSent = true
        inst.dead = true
        this.trace?.(() => `${this.client.name(inst)} is fenced in ${txn.name}: ${error.message}`)
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
    // A zombie's pause is shorter than the timeout: its successor, not the timeout, ends its transaction.
    if (!stall.write) txn.stalled = true
    if (stall.forever) {
      this.stats.stops++
      this.stopInstance(inst, txn)
    }
    if (!stall.write) this.stats.stalls++
    this.trace?.(() => `${this.client.name(inst)} stalls in ${txn.name} for ${stall.ms} ms`)
    await this.client.sleep(stall.ms)
    if (this.stopping) this.stopInstance(inst, txn)
    if (stall.write) {
      // A fenced producer writes nothing: this batch must be refused once the successor has its epoch.
      this.stats.zombieWrites++
      await this.client.produce(inst, txn, txn.partitions[0]!, 1)
    }
    return true
  }

  /** The producer stops for good: its id gets no new instance before its transaction timed out. */
  private stopInstance(inst: Instance, txn: Transaction): never {
    inst.dead = true
    txn.endSent = true
    txn.end ??= 'unknown'
    inst.slot.blockedUntilMs = this.sim.sched.nowMs() + 2 * this.transactionTimeoutMs
    this.trace?.(() => `${this.client.name(inst)} stops in ${txn.name}`)
    throw new Gone()
  }

}
