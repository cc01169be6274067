/**
 * The transaction state machine, row by row: each request in each state, with Kafka's answers
 * (TransactionCoordinator, TransactionMetadata; KIP-98, KIP-360, KIP-588).
 */
import { describe, expect, it } from 'vitest'
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import {
  complete,
  decideAddPartitions,
  decideEndTxn,
  decideInitProducerId,
  fenceAndAbort,
  isExpired,
  isTimedOut,
  matchesListFilter,
  unknownStates,
  type TxnDecision,
  type TxnMetadata,
  type TxnState,
} from '../../src/cluster/txn-state.js'

const NOW = 1_000_000

function meta(over: Partial<TxnMetadata> = {}): TxnMetadata {
  return {
    transactionalId: 'tx',
    producerId: 7,
    lastProducerId: -1,
    producerEpoch: 3,
    lastProducerEpoch: -1,
    timeoutMs: 60_000,
    state: 'Empty',
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: NOW - 10,
    ...over,
  }
}

const ongoing = (over: Partial<TxnMetadata> = {}): TxnMetadata => meta({ state: 'Ongoing', partitions: [{ topic: 'a', partition: 0 }], txnStartTimestamp: NOW - 5, ...over })

const init = (m: TxnMetadata | null, over: Partial<Parameters<typeof decideInitProducerId>[2]> = {}, pending = false): TxnDecision =>
  decideInitProducerId(m, pending, { transactionalId: 'tx', timeoutMs: 30_000, maxTimeoutMs: 900_000, expected: null, nowMs: NOW, ...over })

function written(d: TxnDecision): TxnMetadata {
  if (d.kind !== 'write') throw new Error(`expected a write, got ${JSON.stringify(d)}`)
  return d.next
}

const answered = (d: TxnDecision): number => {
  if (d.kind !== 'answer') throw new Error(`expected an answer, got ${JSON.stringify(d)}`)
  return d.errorCode
}

describe('cluster/txn-state', () => {
  describe('InitProducerId', () => {
    it('a timeout <= 0 or over transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT', () => {
      expect(answered(init(null, { timeoutMs: 0 }))).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
      expect(answered(init(null, { timeoutMs: -5 }))).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
      expect(answered(init(meta(), { timeoutMs: 900_001 }))).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
      expect(init(meta(), { timeoutMs: 900_000 }).kind).toBe('write')
    })

    it('a new id needs a producer id, then is Empty at epoch 0', () => {
      expect(init(null)).toEqual({ kind: 'needProducerId' })
      const next = written(init(null, { newProducerId: 42 }))
      expect(next).toMatchObject({ transactionalId: 'tx', producerId: 42, producerEpoch: 0, lastProducerEpoch: -1, state: 'Empty', timeoutMs: 30_000, partitions: [], txnStartTimestamp: -1 })
    })

    it('a pending write answers CONCURRENT_TRANSACTIONS, the first write of a new id included', () => {
      expect(answered(init(meta(), {}, true))).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
      expect(answered(init(null, { newProducerId: 42 }, true))).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
    })

    for (const state of ['Empty', 'CompleteCommit', 'CompleteAbort'] as TxnState[]) {
      it(`${state}: bumps the epoch, fencing the previous producer, with the new timeout`, () => {
        const d = init(meta({ state, partitions: [], txnStartTimestamp: NOW - 100 }))
        expect(d).toMatchObject({ kind: 'write', errorCode: ErrorCode.NONE, fenced: true, markers: false })
        expect(written(d)).toMatchObject({ producerId: 7, producerEpoch: 4, lastProducerEpoch: -1, lastProducerId: 7, state: 'Empty', timeoutMs: 30_000, txnStartTimestamp: -1 })
      })
    }

    for (const state of ['PrepareCommit', 'PrepareAbort'] as TxnState[]) {
      it(`${state}: CONCURRENT_TRANSACTIONS (the client retries once the markers are written)`, () => {
        expect(answered(init(ongoing({ state })))).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
      })
    }

    it('Ongoing: fences at a bumped epoch, aborts, and answers CONCURRENT_TRANSACTIONS', () => {
      const d = init(ongoing({ lastProducerEpoch: 2 }))
      expect(d).toMatchObject({ kind: 'write', errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, fenced: true, markers: true })
      expect(written(d)).toMatchObject({ state: 'PrepareAbort', producerId: 7, producerEpoch: 4, lastProducerEpoch: -1, partitions: [{ topic: 'a', partition: 0 }], timeoutMs: 60_000 })
    })

    it('an exhausted epoch rotates to a new producer id at epoch 0', () => {
      const m = meta({ producerEpoch: 32766 })
      expect(init(m)).toEqual({ kind: 'needProducerId' })
      expect(written(init(m, { newProducerId: 99 }))).toMatchObject({ producerId: 99, producerEpoch: 0, lastProducerId: 7, lastProducerEpoch: -1 })
      // With the producer's own id and epoch (KIP-360): the last epoch is kept for its retry.
      const own = { expected: { producerId: 7, producerEpoch: 32766 }, newProducerId: 99 }
      expect(written(init(m, own))).toMatchObject({ producerId: 99, producerEpoch: 0, lastProducerId: 7, lastProducerEpoch: 32766 })
    })

    describe('KIP-360: the producer names its id and epoch', () => {
      it('its current epoch: bumped, the old one kept as last', () => {
        const d = init(meta(), { expected: { producerId: 7, producerEpoch: 3 } })
        expect(d).toMatchObject({ kind: 'write', fenced: false })
        expect(written(d)).toMatchObject({ producerEpoch: 4, lastProducerEpoch: 3 })
      })
      it('a retry of the bump (its last epoch): the same epoch again', () => {
        expect(written(init(meta({ producerEpoch: 4, lastProducerEpoch: 3 }), { expected: { producerId: 7, producerEpoch: 3 } }))).toMatchObject({ producerEpoch: 4, lastProducerEpoch: 3 })
      })
      it('another epoch: PRODUCER_FENCED', () => {
        expect(answered(init(meta({ producerEpoch: 5, lastProducerEpoch: 3 }), { expected: { producerId: 7, producerEpoch: 1 } }))).toBe(ErrorCode.PRODUCER_FENCED)
        // After a fence the last epoch is -1: the fenced producer's epoch is no retry.
        expect(answered(init(meta({ producerEpoch: 5, lastProducerEpoch: -1 }), { expected: { producerId: 7, producerEpoch: 4 } }))).toBe(ErrorCode.PRODUCER_FENCED)
      })
      it('another producer id: PRODUCER_FENCED, unless the previous one with an exhausted epoch (a retried rotation)', () => {
        expect(answered(init(meta(), { expected: { producerId: 8, producerEpoch: 3 } }))).toBe(ErrorCode.PRODUCER_FENCED)
        const rotated = meta({ producerId: 99, producerEpoch: 0, lastProducerId: 7, lastProducerEpoch: 32766 })
        expect(init(rotated, { expected: { producerId: 7, producerEpoch: 32766 } }).kind).toBe('write')
        expect(answered(init(rotated, { expected: { producerId: 7, producerEpoch: 12 } }))).toBe(ErrorCode.PRODUCER_FENCED)
      })
      it('is checked before the state: a stranger gets PRODUCER_FENCED even while a commit is being prepared', () => {
        expect(answered(init(ongoing({ state: 'PrepareCommit' }), { expected: { producerId: 8, producerEpoch: 0 } }))).toBe(ErrorCode.PRODUCER_FENCED)
      })
    })
  })

  describe('AddPartitionsToTxn / AddOffsetsToTxn', () => {
    const add = (m: TxnMetadata | null, over: Partial<Parameters<typeof decideAddPartitions>[2]> = {}, pending = false): TxnDecision =>
      decideAddPartitions(m, pending, { producerId: 7, producerEpoch: 3, partitions: [{ topic: 'b', partition: 1 }], nowMs: NOW, ...over })

    it('an unknown id or another producer id: INVALID_PRODUCER_ID_MAPPING', () => {
      expect(answered(add(null))).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
      expect(answered(add(meta(), { producerId: 8 }))).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    })
    it('another epoch (older or newer): PRODUCER_FENCED', () => {
      expect(answered(add(meta(), { producerEpoch: 2 }))).toBe(ErrorCode.PRODUCER_FENCED)
      expect(answered(add(meta(), { producerEpoch: 4 }))).toBe(ErrorCode.PRODUCER_FENCED)
    })
    it('a pending write or a Prepare* state: CONCURRENT_TRANSACTIONS', () => {
      expect(answered(add(meta(), {}, true))).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
      expect(answered(add(ongoing({ state: 'PrepareCommit' })))).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
      expect(answered(add(ongoing({ state: 'PrepareAbort' })))).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
    })
    for (const state of ['Empty', 'CompleteCommit', 'CompleteAbort'] as TxnState[]) {
      it(`${state}: Ongoing with the partitions, started now`, () => {
        expect(written(add(meta({ state, txnStartTimestamp: 5 }), { partitions: [{ topic: 'b', partition: 1 }, { topic: 'a', partition: 2 }] }))).toMatchObject({
          state: 'Ongoing',
          partitions: [{ topic: 'a', partition: 2 }, { topic: 'b', partition: 1 }],
          txnStartTimestamp: NOW,
          txnLastUpdateTimestamp: NOW,
        })
      })
    }
    it('Ongoing: adds the new partitions and keeps the start time', () => {
      const next = written(add(ongoing(), { partitions: [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 1 }] }))
      expect(next.partitions).toEqual([{ topic: 'a', partition: 0 }, { topic: 'b', partition: 1 }])
      expect(next.txnStartTimestamp).toBe(NOW - 5)
    })
    it('Ongoing with partitions already added: NONE without a write', () => {
      expect(answered(add(ongoing(), { partitions: [{ topic: 'a', partition: 0 }] }))).toBe(ErrorCode.NONE)
    })
  })

  describe('EndTxn', () => {
    const end = (m: TxnMetadata | null, committed: boolean, over: Partial<Parameters<typeof decideEndTxn>[2]> = {}, pending = false): TxnDecision =>
      decideEndTxn(m, pending, { producerId: 7, producerEpoch: 3, committed, nowMs: NOW, ...over })

    it('checks the producer as AddPartitions does', () => {
      expect(answered(end(null, true))).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
      expect(answered(end(ongoing(), true, { producerId: 1 }))).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
      expect(answered(end(ongoing(), true, { producerEpoch: 2 }))).toBe(ErrorCode.PRODUCER_FENCED)
      expect(answered(end(ongoing(), true, {}, true))).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
    })
    it('Ongoing: PrepareCommit or PrepareAbort, with markers to send', () => {
      const c = end(ongoing(), true)
      expect(c).toMatchObject({ kind: 'write', errorCode: ErrorCode.NONE, markers: true, fenced: false })
      expect(written(c)).toMatchObject({ state: 'PrepareCommit', producerEpoch: 3, partitions: [{ topic: 'a', partition: 0 }], txnStartTimestamp: NOW - 5 })
      expect(written(end(ongoing(), false))).toMatchObject({ state: 'PrepareAbort', producerEpoch: 3 })
    })
    const rows: [TxnState, boolean, number][] = [
      ['PrepareCommit', true, ErrorCode.CONCURRENT_TRANSACTIONS],
      ['PrepareCommit', false, ErrorCode.INVALID_TXN_STATE],
      ['PrepareAbort', false, ErrorCode.CONCURRENT_TRANSACTIONS],
      ['PrepareAbort', true, ErrorCode.INVALID_TXN_STATE],
      ['CompleteCommit', true, ErrorCode.NONE],
      ['CompleteCommit', false, ErrorCode.INVALID_TXN_STATE],
      ['CompleteAbort', false, ErrorCode.NONE],
      ['CompleteAbort', true, ErrorCode.INVALID_TXN_STATE],
      ['Empty', true, ErrorCode.INVALID_TXN_STATE],
      ['Empty', false, ErrorCode.INVALID_TXN_STATE],
    ]
    for (const [state, committed, code] of rows) {
      it(`${state}, ${committed ? 'commit' : 'abort'}: ${errorName(code)}`, () => {
        expect(answered(end(meta({ state }), committed))).toBe(code)
      })
    }
    it('after a coordinator fence (a timeout), the old epoch is PRODUCER_FENCED, commit or abort', () => {
      const fenced = complete(fenceAndAbort(ongoing(), NOW), NOW)
      expect(answered(end(fenced, false))).toBe(ErrorCode.PRODUCER_FENCED)
      expect(answered(end(fenced, true))).toBe(ErrorCode.PRODUCER_FENCED)
    })
  })

  describe('completion, timeouts, expiration, listing', () => {
    it('complete: Complete* with no partitions; only from Prepare*', () => {
      expect(complete(ongoing({ state: 'PrepareCommit' }), NOW + 1)).toMatchObject({ state: 'CompleteCommit', partitions: [], txnLastUpdateTimestamp: NOW + 1, txnStartTimestamp: NOW - 5 })
      expect(complete(ongoing({ state: 'PrepareAbort' }), NOW)).toMatchObject({ state: 'CompleteAbort', partitions: [] })
      expect(() => complete(ongoing(), NOW)).toThrow()
    })
    it('fenceAndAbort: PrepareAbort at the next epoch, never past 32767', () => {
      expect(fenceAndAbort(ongoing(), NOW)).toMatchObject({ state: 'PrepareAbort', producerEpoch: 4, lastProducerEpoch: -1 })
      expect(fenceAndAbort(ongoing({ producerEpoch: 32767 }), NOW).producerEpoch).toBe(32767)
    })
    it('a transaction times out when Ongoing past its timeout and no write is pending', () => {
      const m = ongoing({ txnStartTimestamp: NOW - 60_001 })
      expect(isTimedOut(m, false, NOW)).toBe(true)
      expect(isTimedOut(m, true, NOW)).toBe(false)
      expect(isTimedOut(ongoing({ txnStartTimestamp: NOW - 60_000 }), false, NOW)).toBe(false)
      expect(isTimedOut({ ...m, state: 'PrepareCommit' }, false, NOW)).toBe(false)
    })
    it('an idle id expires after transactional.id.expiration.ms; an open one never', () => {
      expect(isExpired(meta({ txnLastUpdateTimestamp: NOW - 100 }), false, NOW, 100)).toBe(true)
      expect(isExpired(meta({ txnLastUpdateTimestamp: NOW - 99 }), false, NOW, 100)).toBe(false)
      expect(isExpired(ongoing({ txnLastUpdateTimestamp: 0 }), false, NOW, 100)).toBe(false)
    })
    it('ListTransactions filters by state, producer id and duration; unknown states are told apart', () => {
      const m = ongoing({ txnStartTimestamp: NOW - 1000 })
      const all = { states: [], producerIds: [], durationMs: -1 }
      expect(matchesListFilter(m, all, NOW)).toBe(true)
      expect(matchesListFilter(m, { ...all, states: ['Ongoing'] }, NOW)).toBe(true)
      expect(matchesListFilter(m, { ...all, states: ['Empty'] }, NOW)).toBe(false)
      expect(matchesListFilter(m, { ...all, producerIds: [7] }, NOW)).toBe(true)
      expect(matchesListFilter(m, { ...all, producerIds: [8] }, NOW)).toBe(false)
      expect(matchesListFilter(m, { ...all, durationMs: 999 }, NOW)).toBe(true)
      expect(matchesListFilter(m, { ...all, durationMs: 1000 }, NOW)).toBe(false)
      expect(unknownStates(['Ongoing', 'Bogus', 'PrepareEpochFence'])).toEqual(['Bogus'])
    })
  })
})
