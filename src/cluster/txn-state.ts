/**
 * A transactional id's state at its transaction coordinator, and the answer to each request in
 * each state: Kafka's TransactionMetadata and the checks of its TransactionCoordinator (KIP-98,
 * with the KIP-360 epoch rules for InitProducerId and KIP-588's fencing of a timed-out
 * transaction). Pure: the coordinator (src/broker/txn-coordinator.ts) persists what a decision
 * says to write in `__transaction_state`, and applies it only once it is replicated.
 *
 * States and their moves:
 *   Empty / CompleteCommit / CompleteAbort --AddPartitions/AddOffsets--> Ongoing
 *   Ongoing --EndTxn(commit)--> PrepareCommit --markers written--> CompleteCommit
 *   Ongoing --EndTxn(abort), a fence, a timeout--> PrepareAbort --markers written--> CompleteAbort
 *   Empty / Complete* --InitProducerId--> Empty (epoch bumped, or a new producer id)
 * PrepareEpochFence and Dead are Kafka's transient states: a fence is written as PrepareAbort at
 * the bumped epoch (as Kafka writes it), and an expired id is removed with a tombstone; neither is
 * ever stored, but both names are known to ListTransactions' filters.
 *
 * Transactions v1 only (no epoch bump at each EndTxn: that is KIP-890's part 2, EndTxn v5).
 */
import { ErrorCode } from '../protocol/errors.js'

export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'Dead' | 'PrepareEpochFence'

export const TXN_STATES: readonly TxnState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']

export const NO_PRODUCER_ID = -1
export const NO_PRODUCER_EPOCH = -1
const EPOCH_MAX = 32767


export interface TxnPartition {
  topic: string
  partition: number
}

/** What `__transaction_state` holds for a transactional id (its value, as JSON). */
export interface TxnMetadata {
  transactionalId: string
  producerId: number
  /** The producer id before the last InitProducerId (a rotation when the epochs ran out). */
  lastProducerId: number
  producerEpoch: number
  /** The epoch before the last bump, so that a retried InitProducerId gets the same answer (KIP-360); -1 after a fence. */
  lastProducerEpoch: number
  timeoutMs: number
  state: TxnState
  /** The transaction's partitions, sorted by topic then partition. */
  partitions: TxnPartition[]
  /** When the first partition was added (-1 while none). */
  txnStartTimestamp: number
  txnLastUpdateTimestamp: number
}

/**
 * An exhausted epoch (32766 and up): InitProducerId then rotates to a new producer id instead of
 * bumping, so a client never holds 32767, which stays free for the coordinator to fence with.
 */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= EPOCH_MAX - 1
}

/**
 * What to do with a request: answer at once without writing (`answer`), or write `next` and answer
 * once it is replicated (`write`). `needProducerId`: call again with a new producer id.
 * `markers` on a write: the written state is PrepareCommit/PrepareAbort, whose markers go out next.
 */
export type TxnDecision =
  | { kind: 'answer'; errorCode: number }
  | { kind: 'write'; next: TxnMetadata; errorCode: number; markers: boolean; fenced: boolean }
  | { kind: 'needProducerId' }

const answer = (errorCode: number): TxnDecision => ({ kind: 'answer', errorCode })
const write = (next: TxnMetadata, opts: { errorCode?: number; fenced?: boolean } = {}): TxnDecision => ({
  kind: 'write',
  next,
  errorCode: opts.errorCode ?? ErrorCode.NONE,
  markers: next.state === 'PrepareCommit' || next.state === 'PrepareAbort',
  fenced: opts.fenced ?? false,
})

export interface InitProducerIdInput {
  transactionalId: string
  timeoutMs: number
  maxTimeoutMs: number
  /** The producer id and epoch the client holds (InitProducerId v3+, KIP-360), or null. */
  expected: { producerId: number; producerEpoch: number } | null
  nowMs: number
  /** A producer id from the controller, when a previous call said `needProducerId`. */
  newProducerId?: number
}

/** A transaction timeout a producer may ask for: positive, at most transaction.max.timeout.ms. */
export function isValidTxnTimeout(timeoutMs: number, maxTimeoutMs: number): boolean {
  return timeoutMs > 0 && timeoutMs <= maxTimeoutMs
}

/** InitProducerId with a transactional id, `meta` null when the id is unknown here. `pending`: a write is in flight. */
export function decideInitProducerId(meta: TxnMetadata | null, pending: boolean, req: InitProducerIdInput): TxnDecision {
  if (!isValidTxnTimeout(req.timeoutMs, req.maxTimeoutMs)) return answer(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
  // A write in flight, the first of a new id's included: the client retries.
  if (pending) return answer(ErrorCode.CONCURRENT_TRANSACTIONS)
  if (meta === null || meta.state === 'Dead') {
    if (req.newProducerId === undefined) return { kind: 'needProducerId' }
    return write({
      transactionalId: req.transactionalId,
      producerId: req.newProducerId,
      lastProducerId: NO_PRODUCER_ID,
      producerEpoch: 0,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      timeoutMs: req.timeoutMs,
      state: 'Empty',
      partitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: req.nowMs,
    })
  }
  const { expected } = req
  // KIP-360: a producer that names its id may bump only its own epoch; a retry after a rotation
  // names the previous id with the exhausted epoch.
  if (expected && !(meta.producerEpoch === NO_PRODUCER_EPOCH || expected.producerId === meta.producerId || (expected.producerId === meta.lastProducerId && isEpochExhausted(expected.producerEpoch)))) {
    return answer(ErrorCode.PRODUCER_FENCED)
  }
  switch (meta.state) {
    case 'PrepareCommit':
    case 'PrepareAbort':
      return answer(ErrorCode.CONCURRENT_TRANSACTIONS)
    case 'Ongoing':
      // Abort the open transaction at a bumped epoch (fencing its producer) and have the client
      // retry: its retry bumps again, once the abort is complete.
      return write(fenceAndAbort(meta, req.nowMs), { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, fenced: true })
    case 'Empty':
    case 'CompleteCommit':
    case 'CompleteAbort':
      return bumpEpoch(meta, req)
    case 'PrepareEpochFence':
      // Never stored (see the header): a bug if seen.
      throw new Error(`transactional id ${meta.transactionalId} found in state ${meta.state}`)
  }
}

function bumpEpoch(meta: TxnMetadata, req: InitProducerIdInput): TxnDecision {
  const { expected } = req
  const reset = { state: 'Empty' as const, partitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: req.nowMs, timeoutMs: req.timeoutMs, lastProducerId: meta.producerId }
  if (isEpochExhausted(meta.producerEpoch) && (!expected || expected.producerEpoch === meta.producerEpoch)) {
    if (req.newProducerId === undefined) return { kind: 'needProducerId' }
    return write({ ...meta, ...reset, producerId: req.newProducerId, producerEpoch: 0, lastProducerEpoch: expected ? meta.producerEpoch : NO_PRODUCER_EPOCH }, { fenced: !expected })
  }
  if (!expected) return write({ ...meta, ...reset, producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH }, { fenced: true })
  if (expected.producerEpoch === meta.producerEpoch || meta.producerEpoch === NO_PRODUCER_EPOCH) {
    return write({ ...meta, ...reset, producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: meta.producerEpoch })
  }
  // A retry of a bump whose answer the producer never got: the same epoch again.
  if (expected.producerEpoch === meta.lastProducerEpoch) return write({ ...meta, ...reset, producerEpoch: meta.producerEpoch, lastProducerEpoch: meta.lastProducerEpoch })
  return answer(ErrorCode.PRODUCER_FENCED)
}

/** The ongoing transaction aborted by the coordinator (a fence or a timeout): PrepareAbort at a bumped epoch. */
export function fenceAndAbort(meta: TxnMetadata, nowMs: number): TxnMetadata {
  // The top epoch is never handed out (isEpochExhausted), so there is always one left to fence with.
  const producerEpoch = Math.min(meta.producerEpoch + 1, EPOCH_MAX)
  return { ...meta, state: 'PrepareAbort', producerEpoch, lastProducerEpoch: NO_PRODUCER_EPOCH, txnLastUpdateTimestamp: nowMs }
}

export interface TxnRequestInput {
  producerId: number
  producerEpoch: number
  nowMs: number
}

/** The checks AddPartitionsToTxn, AddOffsetsToTxn and EndTxn share, in Kafka's order. */
function checkProducer(meta: TxnMetadata | null, pending: boolean, req: TxnRequestInput): number | null {
  if (meta === null || meta.state === 'Dead' || meta.producerId !== req.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
  if (meta.producerEpoch !== req.producerEpoch) return ErrorCode.PRODUCER_FENCED
  if (pending) return ErrorCode.CONCURRENT_TRANSACTIONS
  return null
}

const tpOrder = (a: TxnPartition, b: TxnPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)
const samePartition = (a: TxnPartition, b: TxnPartition): boolean => a.topic === b.topic && a.partition === b.partition

/** AddPartitionsToTxn, and AddOffsetsToTxn with the group's `__consumer_offsets` partition. */
export function decideAddPartitions(meta: TxnMetadata | null, pending: boolean, req: TxnRequestInput & { partitions: TxnPartition[] }): TxnDecision {
  const failed = checkProducer(meta, pending, req)
  if (failed !== null) return answer(failed)
  const m = meta!
  if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') return answer(ErrorCode.CONCURRENT_TRANSACTIONS)
  const added = req.partitions.filter((p) => !m.partitions.some((q) => samePartition(p, q)))
  if (m.state === 'Ongoing' && added.length === 0) return answer(ErrorCode.NONE)
  const partitions = [...m.partitions]
  for (const p of added) if (!partitions.some((q) => samePartition(p, q))) partitions.push({ topic: p.topic, partition: p.partition })
  partitions.sort(tpOrder)
  const txnStartTimestamp = m.state === 'Ongoing' ? m.txnStartTimestamp : req.nowMs
  return write({ ...m, state: 'Ongoing', partitions, txnStartTimestamp, txnLastUpdateTimestamp: req.nowMs })
}

/**
 * AddPartitionsToTxn v4+ with verifyOnly (KIP-890, a broker asking before a transactional append):
 * whether each partition is in the producer's transaction, changing nothing. One error for all
 * when the producer does not match or the transaction is ending; else per partition NONE or
 * TRANSACTION_ABORTABLE, as Kafka's handleVerifyPartitionsInTransaction. A write in flight is not
 * waited for (Kafka does not either: the append is checked again).
 */
export function verifyPartitions(meta: TxnMetadata | null, req: { producerId: number; producerEpoch: number; partitions: TxnPartition[] }): { errorCode: number } | { codes: number[] } {
  if (meta === null || meta.state === 'Dead' || meta.producerId !== req.producerId) return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING }
  if (meta.producerEpoch !== req.producerEpoch) return { errorCode: ErrorCode.PRODUCER_FENCED }
  if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS }
  return { codes: req.partitions.map((p) => (meta.partitions.some((q) => samePartition(p, q)) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE)) }
}

/** EndTxn from a client: PrepareCommit/PrepareAbort of an ongoing transaction, or the answer to a retry. */
export function decideEndTxn(meta: TxnMetadata | null, pending: boolean, req: TxnRequestInput & { committed: boolean }): TxnDecision {
  const failed = checkProducer(meta, pending, req)
  if (failed !== null) return answer(failed)
  const m = meta!
  const same = (committed: boolean): number => (committed === req.committed ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE)
  switch (m.state) {
    case 'Ongoing':
      return write({ ...m, state: req.committed ? 'PrepareCommit' : 'PrepareAbort', txnLastUpdateTimestamp: req.nowMs })
    case 'CompleteCommit':
      return answer(same(true))
    case 'CompleteAbort':
      return answer(same(false))
    // The same end again while its markers go out: retry later; the opposite end is a client bug.
    case 'PrepareCommit':
      return answer(req.committed ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE)
    case 'PrepareAbort':
      return answer(req.committed ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS)
    case 'Empty':
      return answer(ErrorCode.INVALID_TXN_STATE)
    case 'Dead':
    case 'PrepareEpochFence':
      throw new Error(`transactional id ${m.transactionalId} found in state ${m.state}`)
  }
}

/** Every marker of a PrepareCommit/PrepareAbort is written: CompleteCommit/CompleteAbort, no partitions. */
export function complete(meta: TxnMetadata, nowMs: number): TxnMetadata {
  if (meta.state !== 'PrepareCommit' && meta.state !== 'PrepareAbort') throw new Error(`transactional id ${meta.transactionalId} completes from ${meta.state}`)
  return { ...meta, state: meta.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort', partitions: [], txnLastUpdateTimestamp: nowMs }
}

/** An ongoing transaction open longer than its timeout, which the coordinator aborts. */
export function isTimedOut(meta: TxnMetadata, pending: boolean, nowMs: number): boolean {
  return !pending && meta.state === 'Ongoing' && meta.txnStartTimestamp + meta.timeoutMs < nowMs
}

/** A transactional id with nothing open, unused for longer than transactional.id.expiration.ms (Kafka's isExpirationAllowed). */
export function isExpired(meta: TxnMetadata, pending: boolean, nowMs: number, expirationMs: number): boolean {
  const idle = meta.state === 'Empty' || meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort'
  return !pending && idle && meta.txnLastUpdateTimestamp + expirationMs <= nowMs
}

/** ListTransactions' filters (KIP-664, KIP-994), as Kafka applies them. */
export interface TxnListFilter {
  states: readonly string[]
  producerIds: readonly number[]
  /** Running longer than this (ms); -1: no filter. */
  durationMs: number
}

export function matchesListFilter(meta: TxnMetadata, filter: TxnListFilter, nowMs: number): boolean {
  if (meta.state === 'Dead') return false
  if (filter.producerIds.length > 0 && !filter.producerIds.includes(meta.producerId)) return false
  if (filter.states.length > 0 && !filter.states.includes(meta.state)) return false
  if (filter.durationMs >= 0 && nowMs - meta.txnStartTimestamp <= filter.durationMs) return false
  return true
}

/** The filter's state names that are no state (answered in unknownStateFilters). */
export function unknownStates(states: readonly string[]): string[] {
  return states.filter((s) => !(TXN_STATES as readonly string[]).includes(s))
}
