/**
 * The transactions' invariants, checked by read_committed readers as their answers arrive and at
 * the end of a run:
 * - a read_committed reader per partition (Fetch isolation level 1 to the leader's real handler,
 *   dropping the records of the aborted transactions the answer names and skipping control
 *   batches, as a Kafka consumer does) sees a transactional record only once its transaction asked
 *   to commit (EndTxn commit sent: no aborted, timed-out or fenced transaction, nothing of an open
 *   one), each at most once, in produce order per transactional id;
 * - every answer carries a last stable offset, within the high watermark, and serves nothing at or
 *   beyond it; the LSO never passes the first offset of a transaction still open (its first batch
 *   acknowledged before the Fetch was sent, no EndTxn sent, no newer instance of its id started,
 *   its timeout not run out, its producer not stalled);
 * - offsets committed in a transaction: an OffsetFetch sees offset `n` of a transactional id's
 *   group only if transaction `n` asked to commit, and never goes back;
 * - at the end, healed and caught up (every partition's LSO at its high watermark, every producer
 *   idle, no coordinator listing a transaction Ongoing or Prepare*: stopped producers' timed out):
 *   each transaction is all or nothing across its partitions, all of it when its client saw the
 *   commit, none when it saw the abort or never asked to commit; each group's committed offset is
 *   that of its last committed transaction that committed offsets.
 */
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import { readBatchHeaders } from '../../src/protocol/batch-layout.js'
import { controlTypeOf } from '../../src/protocol/control-batch.js'
import { decodeRecordBatch } from '../../src/protocol/record-batch.js'
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js'
import type { FindCoordinatorResponse } from '../../src/protocol/messages/10-find-coordinator.js'
import type { OffsetFetchResponse } from '../../src/protocol/messages/09-offset-fetch.js'
import type { ListTransactionsResponse } from '../../src/protocol/messages/66-list-transactions.js'
import type { SimNode } from './sim-node.js'
import type { TransactionalProducers } from './transactions.js'
import { FIND_COORDINATOR, KeyType, parseTxnValue, txnGroupId, type Transaction } from './txn-client.js'

const FETCH = { apiKey: 1, version: 12, clientId: 'sim-txn-reader' }
const OFFSET_FETCH = { apiKey: 9, version: 7, clientId: 'sim-txn-reader' }
const LIST_TRANSACTIONS = { apiKey: 66, version: 0, clientId: 'sim-txn-reader' }
/** The states of a transaction not over yet (ListTransactions' names). */
const UNFINISHED = ['Ongoing', 'PrepareCommit', 'PrepareAbort']
const PARTITION_MAX_BYTES = 1 << 20

interface Reader {
  position: number
  inFlight: boolean
  /** Values read, in order. */
  seen: Set<string>
  /** Per transactional id (slot), the last (n, i) read. */
  last: Map<number, { n: number; i: number }>
  /** The last answer: sent when, its LSO and HWM. */
  lastAnswer: { sentMs: number; lso: number; hwm: number } | null
  /** Offset ranges [from, to) it skipped, out of range below the log start (records deleted). */
  skipped: [number, number][]
}

interface OffsetsRead {
  inFlight: boolean
  coordinator: number | null
  /** Per partition, the last offset read and when its answer arrived. */
  last: Map<number, { offset: number; atMs: number }>
  /** The last answer without an error or a pending offset (requireStable), and when it was sent. */
  stable: { sentMs: number; offsets: Map<number, number> } | null
}

export class TxnInvariants {
  readonly errors = new Map<string, number>()
  recordsRead = 0
  /** Answers whose LSO was held against a transaction surely open. */
  lsoChecks = 0
  offsetReads = 0
  /** When every producer was last seen idle at the end (reads sent after it count as final). */
  private idleSinceMs: number | null = null
  private readonly readers: Reader[]
  private readonly offsets: OffsetsRead[]
  /** Per broker at the end: its last ListTransactions of unfinished transactions (sent when, what it listed). */
  private readonly listed = new Map<number, { sentMs: number; inFlight: boolean; unfinished: string[] | null }>()

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    private readonly partitions: number,
    private readonly producers: TransactionalProducers,
    private readonly requestTimeoutMs: number,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
  ) {
    this.readers = Array.from({ length: partitions }, () => ({ position: 0, inFlight: false, seen: new Set(), last: new Map(), lastAnswer: null, skipped: [] }))
    this.offsets = Array.from({ length: producers.slotCount }, () => ({ inFlight: false, coordinator: null, last: new Map(), stable: null }))
  }

  /** One read_committed Fetch of `partition` from the reader's position. */
  read(partition: number, maxWaitMs: number): string | null {
    const reader = this.readers[partition]!
    const p = this.sim.image.partition(this.topicName, partition)
    if (reader.inFlight || !p || p.leader < 0 || this.sim.condition(p.leader) !== 'up') return null
    reader.inFlight = true
    const leaderId = p.leader
    const fetchOffset = reader.position
    const sentMs = this.sim.sched.nowMs()
    const acksBefore = this.producers.acks
    const request = {
      replicaId: -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: PARTITION_MAX_BYTES,
      isolationLevel: 1,
      topics: [{ topic: this.topicName, partitions: [{ partition, currentLeaderEpoch: p.leaderEpoch, fetchOffset, partitionMaxBytes: PARTITION_MAX_BYTES }] }],
    }
    const what = `read_committed p${partition} from ${fetchOffset} at b${leaderId} (epoch ${p.leaderEpoch})`
    this.sim.net.request<FetchResponse>(leaderId, FETCH, request, maxWaitMs + this.requestTimeoutMs).then(
      (response) => {
        reader.inFlight = false
        const data = response.responses[0]?.partitions[0]
        if (!data) return this.fail(`${what}: the response names no partition`)
        this.answered(partition, reader, what, fetchOffset, sentMs, acksBefore, data)
      },
      (error: unknown) => {
        reader.inFlight = false
        this.count('lost')
        this.trace?.(() => `${what}: lost (${String(error)})`)
      },
    )
    return what
  }

  private answered(partition: number, reader: Reader, what: string, fetchOffset: number, sentMs: number, acksBefore: number, data: FetchResponse['responses'][number]['partitions'][number]): void {
    if (data.errorCode !== ErrorCode.NONE) {
      this.count(errorName(data.errorCode))
      this.trace?.(() => `${what}: ${errorName(data.errorCode)}`)
      if (data.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) return
      // Transactions run in seeds without unclean elections: only deletions take records away.
      if (fetchOffset >= data.logStartOffset) return this.fail(`${what}: OFFSET_OUT_OF_RANGE at or above the log start ${data.logStartOffset}`)
      if (reader.position !== fetchOffset) return
      reader.skipped.push([fetchOffset, data.logStartOffset])
      reader.position = data.logStartOffset
      return
    }
    if (reader.position !== fetchOffset) return
    const lso = data.lastStableOffset
    const hwm = data.highWatermark
    if (lso < 0) return this.fail(`${what}: the answer has no last stable offset (HWM ${hwm})`)
    if (lso > hwm) return this.fail(`${what}: last stable offset ${lso} above the high watermark ${hwm}`)
    this.checkLso(partition, lso, data.logStartOffset, acksBefore, what)
    reader.lastAnswer = { sentMs, lso, hwm }
    const records = data.records ?? Buffer.alloc(0)
    const headers = readBatchHeaders(records)
    this.trace?.(() => `${what}: ${headers.length} batches, LSO ${lso}, HWM ${hwm}, aborted [${(data.abortedTransactions ?? []).map((a) => `${a.producerId}@${a.firstOffset}`)}]`)
    // As a Kafka consumer: a producer's batches are aborted from the first offset the answer names
    // for it, until its ABORT marker.
    const aborted = [...(data.abortedTransactions ?? [])].sort((a, b) => a.firstOffset - b.firstOffset)
    const abortedProducers = new Set<number>()
    for (const h of headers) {
      if (h.lastOffset < reader.position) continue
      if (h.lastOffset >= lso) return this.fail(`${what}: batch ${h.baseOffset}..${h.lastOffset} served at or above the last stable offset ${lso}`)
      while (aborted.length > 0 && aborted[0]!.firstOffset <= h.lastOffset) abortedProducers.add(aborted.shift()!.producerId)
      if (h.isControl) {
        if (controlTypeOf(records, h.start) === 'abort') abortedProducers.delete(h.producerId)
      } else if (h.isTransactional && !abortedProducers.has(h.producerId)) {
        // Only transactional batches hold the transactional workload's records.
        for (const rec of decodeRecordBatch(records, h.start).records) {
          if (rec.offset >= reader.position) this.readValue(partition, reader, rec.value?.toString() ?? '', rec.offset, `${what} (producer ${h.producerId}/${h.producerEpoch})`)
        }
      }
      reader.position = h.lastOffset + 1
    }
  }

  private readValue(partition: number, reader: Reader, value: string, offset: number, what: string): void {
    const v = parseTxnValue(value)
    if (!v) return
    this.recordsRead++
    const txn = this.producers.transactions.get(v.name)
    if (!txn) return this.fail(`${what}: read ${value} at ${offset}, of no transaction`)
    if (!txn.commitSent) return this.fail(`${what}: read ${value} at ${offset}, but transaction ${describe(txn)} never asked to commit`)
    if (reader.seen.has(value)) return this.fail(`${what}: read ${value} twice (again at ${offset})`)
    reader.seen.add(value)
    const last = reader.last.get(v.slot)
    if (last && (v.n < last.n || (v.n === last.n && v.i <= last.i))) {
      return this.fail(`${what}: read ${value} at ${offset} after x${v.slot}.${last.n}.p${partition}.${last.i}: out of produce order`)
    }
    reader.last.set(v.slot, { n: v.n, i: v.i })
  }

  /** The LSO must not pass the first offset of a transaction surely still open. */
  private checkLso(partition: number, lso: number, logStartOffset: number, acksBefore: number, what: string): void {
    const now = this.sim.sched.nowMs()
    for (const txn of this.producers.open()) {
      const first = txn.firstOffsets.get(partition)
      // The LSO is at the log start at least: a deletion may pass an open transaction's records.
      if (!first || first.ack > acksBefore || first.offset < logStartOffset) continue
      if (txn.endSent || txn.stalled || txn.startedMs === null || now >= txn.startedMs + this.producers.transactionTimeoutMs) continue
      if (this.producers.successorSentMs(txn) !== null) continue
      this.lsoChecks++
      if (lso > first.offset) return this.fail(`${what}: last stable offset ${lso} passes offset ${first.offset}, where transaction ${describe(txn)} began, still open`)
    }
  }

  /** OffsetFetch of a transactional id's group (requireStable sometimes). */
  readOffsets(slot: number, requireStable: boolean): string | null {
    const o = this.offsets[slot]!
    if (o.inFlight) return null
    const up = this.sim.withCondition('up')
    if (up.length === 0) return null
    o.inFlight = true
    const groupId = txnGroupId(slot)
    const sentMs = this.sim.sched.nowMs()
    const done = (): void => {
      o.inFlight = false
    }
    const lost = (error: unknown): void => {
      done()
      o.coordinator = null
      this.count('lost')
      this.trace?.(() => `OffsetFetch ${groupId}: lost (${String(error)})`)
    }
    if (o.coordinator === null) {
      const to = up[slot % up.length]!
      this.sim.net.request<FindCoordinatorResponse>(to, FIND_COORDINATOR, { key: groupId, keyType: KeyType.GROUP }, this.requestTimeoutMs).then((r) => {
        done()
        if (r.errorCode === ErrorCode.NONE) o.coordinator = r.nodeId
      }, lost)
      return `find ${groupId}'s coordinator at b${to}`
    }
    const body = { groupId, topics: [{ name: this.topicName, partitionIndexes: [...Array(this.partitions).keys()] }], requireStable }
    const what = `OffsetFetch ${groupId}${requireStable ? ' (stable)' : ''} at b${o.coordinator}`
    this.sim.net.request<OffsetFetchResponse>(o.coordinator, OFFSET_FETCH, body, this.requestTimeoutMs).then((r) => {
      done()
      this.offsetsAnswered(slot, o, what, sentMs, requireStable, r)
    }, lost)
    return what
  }

  private offsetsAnswered(slot: number, o: OffsetsRead, what: string, sentMs: number, requireStable: boolean, r: OffsetFetchResponse): void {
    const now = this.sim.sched.nowMs()
    const errors = [r.errorCode, ...(r.topics[0]?.partitions ?? []).map((p) => p.errorCode)].filter((c) => c !== ErrorCode.NONE)
    for (const c of errors) this.count(errorName(c))
    if (errors.some((c) => c === ErrorCode.NOT_COORDINATOR || c === ErrorCode.COORDINATOR_NOT_AVAILABLE)) o.coordinator = null
    if (r.errorCode !== ErrorCode.NONE) return
    this.offsetReads++
    const offsets = new Map<number, number>()
    for (const p of r.topics[0]?.partitions ?? []) {
      if (p.errorCode !== ErrorCode.NONE) continue
      const where = `${what}: partition ${p.partitionIndex} at ${p.committedOffset}`
      offsets.set(p.partitionIndex, p.committedOffset)
      if (p.committedOffset >= 0) {
        const txn = this.producers.transactions.get(`x${slot}.${p.committedOffset}`)
        if (!txn?.offsetPartitions.includes(p.partitionIndex)) return this.fail(`${where}, committed by no transaction`)
        if (!txn.commitSent) return this.fail(`${where}, committed by transaction ${describe(txn)}, which never asked to commit`)
      }
      const before = o.last.get(p.partitionIndex)
      if (before && before.atMs < sentMs && p.committedOffset < before.offset) return this.fail(`${where}, back from ${before.offset} (read at ${before.atMs} ms)`)
      o.last.set(p.partitionIndex, { offset: p.committedOffset, atMs: now })
    }
    this.trace?.(() => `${what}: ${[...offsets].map(([p, n]) => `p${p}@${n}`).join(' ')}${errors.length ? ` errors ${errors.map(errorName)}` : ''}`)
    if (requireStable && errors.length === 0) o.stable = { sentMs, offsets }
  }

  /** At the end: reads on until caught up; true once every reader and group has a final answer. */
  caughtUp(leaderLeo: (partition: number) => number | null): boolean {
    const now = this.sim.sched.nowMs()
    if (!this.producers.idle) {
      this.idleSinceMs = null
      return false
    }
    this.idleSinceMs ??= now
    let done = true
    for (let p = 0; p < this.partitions; p++) {
      const reader = this.readers[p]!
      const a = reader.lastAnswer
      const leo = leaderLeo(p)
      if (a && a.sentMs >= this.idleSinceMs && leo !== null && a.hwm === leo && a.lso === a.hwm && reader.position >= a.lso) continue
      done = false
      this.read(p, 0)
    }
    for (let slot = 0; slot < this.offsets.length; slot++) {
      const stable = this.offsets[slot]!.stable
      if (stable && stable.sentMs >= this.idleSinceMs && done) continue
      done = false
      this.readOffsets(slot, true)
    }
    // Every coordinator has finished every transaction (the stopped producers' timed out).
    for (const id of this.sim.ids) {
      const l = this.listed.get(id)
      if (l && !l.inFlight && l.sentMs >= this.idleSinceMs && l.unfinished?.length === 0) continue
      done = false
      if (!l?.inFlight) this.listUnfinished(id)
    }
    return done
  }

  private listUnfinished(id: number): void {
    if (this.sim.condition(id) !== 'up') return
    // The previous answer stays on show (describeLag) until this one arrives.
    const entry = { sentMs: this.sim.sched.nowMs(), inFlight: true, unfinished: this.listed.get(id)?.unfinished ?? null }
    this.listed.set(id, entry)
    const body = { stateFilters: UNFINISHED, producerIdFilters: [] }
    this.sim.net.request<ListTransactionsResponse>(id, LIST_TRANSACTIONS, body, this.requestTimeoutMs).then(
      (r) => {
        entry.inFlight = false
        if (r.errorCode === ErrorCode.NONE) entry.unfinished = r.transactionStates.map((t) => `${t.transactionalId} ${t.transactionState} (producer ${t.producerId})`)
        else this.count(errorName(r.errorCode))
      },
      () => {
        entry.inFlight = false
      },
    )
  }

  /** Why the end is not reached (for the failure message). */
  describeLag(): string {
    const parts = this.readers.map((r, p) => `p${p} read to ${r.position}${r.lastAnswer ? ` (LSO ${r.lastAnswer.lso}, HWM ${r.lastAnswer.hwm})` : ''}`)
    const open = this.producers.open().map(describe)
    const listed = [...this.listed].map(([id, l]) => `b${id} lists ${l.unfinished === null ? '?' : l.unfinished.join(', ') || 'none'}`)
    return `read_committed readers: ${parts.join(', ')}; transactions under way: ${open.join(', ') || 'none'}; producers ${this.producers.idle ? 'idle' : 'busy'}; unfinished at the coordinators: ${listed.join('; ')}`
  }

  /** At the end (caught up): every transaction all or nothing, and every group at its last committed transaction. */
  checkEnd(): Record<string, number> {
    const visible = new Set<string>()
    for (const r of this.readers) for (const v of r.seen) visible.add(v)
    const stats = { txnCommitted: 0, txnAborted: 0, txnTimedOut: 0, txnFenced: 0, txnCommittedUnseen: 0, txnDeleted: 0 }
    const lastCommitted = new Map<string, number>()
    /** Per group partition, transactions with offsets whose records were all deleted: committed or not, none can tell. */
    const maybeCommitted = new Map<string, Set<number>>()
    for (const txn of this.producers.transactions.values()) {
      // Records a reader skipped (deleted, out of range) are neither seen nor missing; a batch
      // acknowledged as a duplicate (offset unknown) counts as skipped once its reader skipped any.
      const values = txn.batches.flatMap((b) => b.values.filter((_, i) => !this.skippedAt(b.partition, b.offset === null ? null : b.offset < 0 ? -1 : b.offset + i)))
      if (values.length === 0 && txn.batches.some((b) => b.values.length > 0)) {
        stats.txnDeleted++
        for (const p of txn.offsetPartitions) {
          const key = `${txn.slot}:${p}`
          if (txn.end === 'committed') lastCommitted.set(key, Math.max(txn.n, lastCommitted.get(key) ?? -1))
          else if (txn.commitSent && txn.end !== 'aborted') maybeCommitted.set(key, (maybeCommitted.get(key) ?? new Set()).add(txn.n))
        }
        continue
      }
      const seen = values.filter((v) => visible.has(v)).length
      const acked = txn.batches.every((b) => b.offset !== null)
      if (seen > 0 && (seen < values.length || !acked)) {
        return this.fail(`transaction ${describe(txn)} is partly visible at the end: ${seen} of its ${values.length} records (missing ${values.filter((v) => !visible.has(v)).slice(0, 5).join(' ')})`), stats
      }
      if (txn.end === 'committed' && seen === 0 && values.length > 0) return this.fail(`transaction ${describe(txn)} was committed, none of its records is visible at the end`), stats
      if (seen > 0 && txn.end === 'aborted') return this.fail(`transaction ${describe(txn)} was aborted, its records are visible at the end`), stats
      if (seen > 0) {
        stats.txnCommitted++
        if (txn.end !== 'committed') stats.txnCommittedUnseen++
        for (const p of txn.offsetPartitions) lastCommitted.set(`${txn.slot}:${p}`, Math.max(txn.n, lastCommitted.get(`${txn.slot}:${p}`) ?? -1))
      } else if (txn.stalled) stats.txnTimedOut++
      else if (txn.end === 'fenced' || txn.end === 'unknown') stats.txnFenced++
      else stats.txnAborted++
    }
    for (let slot = 0; slot < this.offsets.length; slot++) {
      const stable = this.offsets[slot]!.stable
      if (!stable) return this.fail(`no final OffsetFetch of ${txnGroupId(slot)}`), stats
      for (let p = 0; p < this.partitions; p++) {
        const expected = lastCommitted.get(`${slot}:${p}`) ?? -1
        const actual = stable.offsets.get(p) ?? -1
        const maybe = [...(maybeCommitted.get(`${slot}:${p}`) ?? [])].filter((n) => n > expected)
        if (actual !== expected && !maybe.includes(actual)) return this.fail(`${txnGroupId(slot)}'s committed offset of partition ${p} is ${actual} at the end, its last committed transaction with offsets is x${slot}.${expected}`), stats
      }
    }
    return stats
  }

  private skippedAt(partition: number, offset: number | null): boolean {
    const skipped = this.readers[partition]!.skipped
    if (offset === null) return false
    if (offset < 0) return skipped.length > 0
    return skipped.some(([from, to]) => offset >= from && offset < to)
  }

  private count(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1)
  }
}

function describe(txn: Transaction): string {
  const batches = txn.batches.map((b) => `p${b.partition}${b.offset === null ? '?' : `@${b.offset}`}`).join(' ')
  const flags = [txn.commitSent ? 'commit sent' : txn.endSent ? 'ended' : 'open', txn.stalled ? 'stalled' : '', txn.end ? `client saw ${txn.end}` : ''].filter(Boolean)
  return `${txn.name} (producer ${txn.producerId}/${txn.producerEpoch}, partitions [${txn.partitions}], batches ${batches || 'none'}, ${flags.join(', ')})`
}
