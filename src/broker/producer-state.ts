/**
 * The idempotent and transactional producers' state for one partition (Kafka's
 * ProducerStateManager): per producer id, its epoch, its last five batches' sequence ranges with
 * their offsets, its open transaction (from its first transactional batch after its last marker),
 * the coordinator epoch of its last marker and its last timestamp. A retried batch is recognised
 * and answered with its original offsets; a gap in the sequence is OUT_OF_ORDER_SEQUENCE_NUMBER; an
 * older epoch is INVALID_PRODUCER_EPOCH; a plain batch while a transaction is open is
 * INVALID_TXN_STATE. A marker (a COMMIT or ABORT control batch, txn-markers.ts) ends the open
 * transaction; an ABORT adds its range to the aborted index (txn-index.ts); a marker of a newer
 * epoch moves the producer to it (its next batch starts at sequence 0); a marker of an older
 * coordinator epoch is TRANSACTION_COORDINATOR_FENCED. The open transactions give the last stable
 * offset (ReplicaManager.lastStableOffset). A transaction whose marker never comes stays open here:
 * the coordinator's timeout aborts it with a marker.
 *
 * The leader records a batch when it issues the append (before the write lands), so pipelined
 * requests see each other; the entry holds the append's promise until its offsets are known.
 * Followers record the batches they replicate, so a new leader knows every producer.
 *
 * The state outlives the log tail, as Kafka's does: snapshots (the producers of every batch below
 * the high watermark) are written to the broker's store every few seconds, and a log that opens or
 * truncates loads the latest snapshot it can and replays the log from there (markers included: the
 * snapshot holds the transactions open at its offset). A producer is forgotten
 * `producer.id.expiration.ms` after its last batch, unless a transaction of it is open. Rebuilt from the last stretch of log
 * only, a broker that restarted forgot producers that had not written for a while, and took their
 * retried batch for a new one: the batch was stored twice.
 */
import { ErrorCode } from '../protocol/errors.js'
import { readBatchHeaders, type BatchHeader, type ParsedBatches } from '../protocol/batch-layout.js'
import { readControlMarker } from '../protocol/control-batch.js'
import { LOG_PASS_READ_BYTES, type MetaStore, type PartitionLog } from '../storage/types.js'
import { AbortedTxnIndex } from './txn-index.js'

/** Kafka keeps the last five batches per producer (max.in.flight.requests.per.connection <= 5). */
const BATCHES_KEPT = 5

export interface SequencedBatch {
  firstSeq: number
  lastSeq: number
  /** The batch's max timestamp (producer expiration counts from the last batch's). */
  maxTimestamp: number
  /** Resolves with the batch's offsets once appended; rejects if the append failed. */
  offsets: Promise<{ baseOffset: number; lastOffset: number }>
  /** The offsets once known (a stored batch, or an append that landed). */
  stored: { baseOffset: number; lastOffset: number } | null
}

/**
 * A producer's open transaction: the batch that began it. Until that batch's append lands its
 * offset is not known, and `lowerBound` (the log end when it was issued) stands for it: the last
 * stable offset may stay lower a moment, never pass the transaction.
 */
interface OpenTxn {
  first: SequencedBatch
  lowerBound: number
}

/** A transaction a marker ended, kept while the marker is above the last snapshot's offset. */
interface EndedTxn {
  firstOffset: number
  markerOffset: number
}

interface ProducerEntry {
  epoch: number
  /** The last batches of this epoch. */
  batches: SequencedBatch[]
  /** A marker set the epoch and no batch came since: the next batch starts at sequence 0 (Kafka's rule). */
  sequenceRestarts: boolean
  txn: OpenTxn | null
  /** Open in a snapshot below their marker (see snapshot). */
  ended: EndedTxn[]
  /** The coordinator epoch of the producer's last marker; -1 before any. */
  coordinatorEpoch: number
  /** The max timestamp of its last batch or marker. */
  lastTimestamp: number
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: SequencedBatch }
  | { kind: 'error'; errorCode: number; message: string }

/** A producer as DescribeProducers shows it. */
export interface ProducerView {
  producerId: number
  epoch: number
  /** -1 when no batch of this epoch is known. */
  lastSequence: number
  lastTimestamp: number
  coordinatorEpoch: number
  /** The first offset of its open transaction, or -1. */
  currentTxnStartOffset: number
}

/** What a snapshot holds of a batch: firstSeq, lastSeq, baseOffset, lastOffset, maxTimestamp. */
type SnapshotBatch = [number, number, number, number, number]

/** The producers of every batch below `offset`, as persisted. */
export interface ProducerSnapshot {
  offset: number
  /**
   * Per producer: id, epoch, batches, then (absent in snapshots written before transactions) the
   * first offset of its transaction open at `offset` (-1: none), its last coordinator epoch and its
   * last timestamp.
   */
  producers: [producerId: number, epoch: number, batches: SnapshotBatch[], txnFirstOffset?: number, coordinatorEpoch?: number, lastTimestamp?: number][]
}

/** Sequence numbers wrap at 2^31 - 1, as in Kafka. */
const nextSeq = (seq: number): number => (seq === 2147483647 ? 0 : seq + 1)

const txnFirstOffset = (txn: OpenTxn): number => txn.first.stored?.baseOffset ?? txn.lowerBound

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>()
  /** The producers with a transaction open (the LSO is computed on every fetch: only these count). */
  private readonly inTxn = new Set<ProducerEntry>()
  /** Batches recorded since the last snapshot was taken. */
  private changed = false
  /** The partition's aborted transactions, added to as ABORT markers land. */
  readonly aborted = new AbortedTxnIndex()
  /** Markers landed per producer, and rebuilds of the table: what a transaction verification's guard compares. */
  private readonly markersLanded = new Map<number, number>()
  private rebuilds = 0

  get size(): number {
    return this.producers.size
  }

  get changedSinceSnapshot(): boolean {
    return this.changed
  }

  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number, transactional = false): SequenceCheck {
    const entry = this.producers.get(producerId)
    // Unknown producer (new, or its state expired): any sequence is accepted, as Kafka does.
    if (!entry) return { kind: 'append' }
    if (epoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}` }
    }
    if (epoch > entry.epoch || (entry.sequenceRestarts && entry.batches.length === 0)) {
      if (firstSeq !== 0) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `a new epoch of producer ${producerId} must start at sequence 0, not ${firstSeq}` }
      }
    } else {
      const duplicate = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq)
      if (duplicate) return { kind: 'duplicate', batch: duplicate }
      const last = entry.batches[entry.batches.length - 1]
      // No batch kept (the only one's append failed): any sequence, as for an unknown producer.
      if (last && firstSeq !== nextSeq(last.lastSeq)) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${producerId} sent sequence ${firstSeq}, expected ${nextSeq(last.lastSeq)}`,
        }
      }
    }
    if (!transactional && entry.txn) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_TXN_STATE, message: `producer ${producerId} has a transaction open here: its batches must be transactional` }
    }
    return { kind: 'append' }
  }

  /**
   * Records a batch of an idempotent producer (the leader as it issues the append, with the log end
   * then as `lowerBound`; a follower or a rebuild with the stored offsets). A transactional batch
   * opens the producer's transaction if none is open.
   */
  record(producerId: number, epoch: number, batch: SequencedBatch, transactional = false, lowerBound = batch.stored?.baseOffset ?? 0): void {
    const entry = this.entryAt(producerId, epoch, batch, transactional, lowerBound)
    // A batch of the same sequences known before is one whose append did not stay (a leader's that
    // a truncation or a lost write took back, then the same batch fetched from the next leader at
    // another offset): the new one replaces it, or a retry would be answered the old offsets
    // (sim seed 3877).
    const superseded = (b: SequencedBatch): boolean => b !== batch && b.firstSeq <= batch.lastSeq && b.lastSeq >= batch.firstSeq
    if (entry.txn && superseded(entry.txn.first)) entry.txn = { first: batch, lowerBound: entry.txn.lowerBound }
    entry.batches = entry.batches.filter((b) => !superseded(b))
    entry.batches.push(batch)
    entry.sequenceRestarts = false
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift()
    if (batch.stored) return
    batch.offsets.then(
      (offsets) => (batch.stored = offsets),
      // A failed append is forgotten, so the producer's retry is not taken for a duplicate.
      () => {
        const e = this.producers.get(producerId)
        if (!e) return
        const at = e.batches.indexOf(batch)
        e.batches = e.batches.filter((b) => b !== batch)
        // A transaction it began begins with the next batch issued, if any.
        if (e.txn?.first === batch) {
          const next = at >= 0 ? e.batches[at] : undefined
          e.txn = next ? { first: next, lowerBound: e.txn.lowerBound } : null
          if (!e.txn) this.inTxn.delete(e)
        }
      },
    )
  }

  /**
   * The producer's entry as a batch of `epoch` arrives (made, or moved to a newer epoch: the
   * sequences restart; an open transaction stays open until its marker), with the batch's time,
   * and the transaction a transactional batch opens when none is.
   */
  private entryAt(producerId: number, epoch: number, batch: SequencedBatch, transactional: boolean, lowerBound: number): ProducerEntry {
    let entry = this.producers.get(producerId)
    if (!entry) {
      entry = { epoch, batches: [], sequenceRestarts: false, txn: null, ended: [], coordinatorEpoch: -1, lastTimestamp: -1 }
      this.producers.set(producerId, entry)
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch
      entry.batches = []
    }
    entry.lastTimestamp = Math.max(entry.lastTimestamp, batch.maxTimestamp)
    if (transactional && !entry.txn) {
      entry.txn = { first: batch, lowerBound }
      this.inTxn.add(entry)
    }
    this.changed = true
    return entry
  }

  /**
   * A transactional batch written without sequences (base sequence -1: the group coordinator's
   * TxnOffsetCommit records, as Kafka writes them) from an older epoch is refused, as any batch is.
   */
  checkUnsequenced(producerId: number, epoch: number): SequenceCheck {
    const entry = this.producers.get(producerId)
    if (entry && epoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}` }
    }
    return { kind: 'append' }
  }

  /**
   * Records a transactional batch written without sequences: it opens the producer's transaction
   * (the LSO waits for its marker, as for any transactional batch) and leaves the sequences alone.
   */
  recordUnsequenced(producerId: number, epoch: number, batch: SequencedBatch, lowerBound = batch.stored?.baseOffset ?? 0): void {
    this.entryAt(producerId, epoch, batch, true, lowerBound)
    if (batch.stored) return
    batch.offsets.then(
      (offsets) => (batch.stored = offsets),
      () => {
        // A failed append opened nothing.
        const e = this.producers.get(producerId)
        if (e?.txn?.first !== batch) return
        e.txn = null
        this.inTxn.delete(e)
      },
    )
  }

  /**
   * Whether a transaction marker of the producer may be written (Kafka's appendEndTxnMarker
   * checks): not from an older producer epoch, nor from an older coordinator epoch.
   */
  checkMarker(producerId: number, epoch: number, coordinatorEpoch: number): SequenceCheck {
    const entry = this.producers.get(producerId)
    if (!entry) return { kind: 'append' }
    if (epoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `marker of producer ${producerId} epoch ${epoch}, older than ${entry.epoch}` }
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        message: `marker of coordinator epoch ${coordinatorEpoch} for producer ${producerId}, which saw ${entry.coordinatorEpoch}`,
      }
    }
    return { kind: 'append' }
  }

  /**
   * A marker is being appended (the leader, once checkMarker passed): the producer moves to the
   * marker's epoch at once, so a batch of the fenced epoch issued after it is refused.
   */
  markerIssued(producerId: number, epoch: number, coordinatorEpoch: number): void {
    let entry = this.producers.get(producerId)
    if (!entry) {
      entry = { epoch, batches: [], sequenceRestarts: true, txn: null, ended: [], coordinatorEpoch, lastTimestamp: -1 }
      this.producers.set(producerId, entry)
    }
    if (epoch > entry.epoch) {
      entry.epoch = epoch
      entry.batches = []
      entry.sequenceRestarts = true
    }
    entry.coordinatorEpoch = Math.max(entry.coordinatorEpoch, coordinatorEpoch)
    this.changed = true
  }

  /**
   * A marker landed at `offset`: the producer's transaction ends; an ABORT adds its range to the
   * aborted index (from the marker itself when no transaction was open here, as Kafka does).
   */
  markerLanded(producerId: number, committed: boolean, offset: number, timestampMs: number): void {
    this.markersLanded.set(producerId, (this.markersLanded.get(producerId) ?? 0) + 1)
    const entry = this.producers.get(producerId)
    const firstOffset = entry?.txn ? txnFirstOffset(entry.txn) : offset
    if (entry) {
      if (entry.txn) entry.ended.push({ firstOffset, markerOffset: offset })
      entry.txn = null
      this.inTxn.delete(entry)
      entry.lastTimestamp = Math.max(entry.lastTimestamp, timestampMs)
    }
    this.changed = true
    if (!committed) this.aborted.add({ producerId, firstOffset, lastOffset: offset })
  }

  /** Whether the producer has a transaction open at this partition (its first batch appended or on its way). */
  inTransaction(producerId: number): boolean {
    return !!this.producers.get(producerId)?.txn
  }

  /**
   * What a transaction verification (KIP-890, txn-verification.ts) holds for: it changes when a
   * marker of the producer lands here or the table is rebuilt, so a batch verified before its
   * transaction ended is not appended after the end (Kafka's VerificationGuard).
   */
  verificationGuard(producerId: number): string {
    return `${this.rebuilds}:${this.markersLanded.get(producerId) ?? 0}`
  }

  /** The first offset of the oldest open transaction (null when none): the LSO stays below it. */
  firstUnstableOffset(): number | null {
    let first: number | null = null
    for (const entry of this.inTxn) {
      if (!entry.txn) continue
      const offset = txnFirstOffset(entry.txn)
      if (first === null || offset < first) first = offset
    }
    return first
  }

  /** The producers known here (DescribeProducers). */
  describe(): ProducerView[] {
    return [...this.producers].map(([producerId, e]) => ({
      producerId,
      epoch: e.epoch,
      lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.txn ? txnFirstOffset(e.txn) : -1,
    }))
  }

  /**
   * Records the stored batches of producers (replication, or a rebuild): idempotent and
   * transactional batches, and transaction markers.
   */
  recordStored(parsed: ParsedBatches): void {
    for (const h of parsed.batches) {
      if (h.producerId < 0) continue
      if (h.isControl) {
        let marker: ReturnType<typeof readControlMarker> = null
        try {
          marker = readControlMarker(parsed.bytes, h.start)
        } catch {
          // The leader wrote only well-formed markers; anything else is no marker.
        }
        if (!marker) continue
        this.markerIssued(h.producerId, h.producerEpoch, marker.coordinatorEpoch)
        this.markerLanded(h.producerId, marker.type === 'commit', h.baseOffset, h.maxTimestamp)
        continue
      }
      const stored = { baseOffset: h.baseOffset, lastOffset: h.lastOffset }
      if (h.baseSequence < 0) {
        if (h.isTransactional) {
          this.recordUnsequenced(h.producerId, h.producerEpoch, { firstSeq: -1, lastSeq: -1, maxTimestamp: h.maxTimestamp, offsets: Promise.resolve(stored), stored })
        }
        continue
      }
      this.record(
        h.producerId,
        h.producerEpoch,
        { firstSeq: h.baseSequence, lastSeq: h.baseSequence + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, offsets: Promise.resolve(stored), stored },
        h.isTransactional,
      )
    }
  }

  /**
   * The producers of every stored batch below `offset` (the high watermark: what no truncation
   * takes back), with the transactions open at `offset` (one whose marker is at or above it is
   * still open there), less those whose last batch is older than `expirationMs` at `nowMs` and
   * have no transaction open, which are forgotten here too. Marks the table as snapshotted.
   */
  snapshot(offset: number, nowMs: number, expirationMs: number): ProducerSnapshot {
    const producers: ProducerSnapshot['producers'] = []
    for (const [producerId, entry] of this.producers) {
      const last = entry.batches[entry.batches.length - 1]
      const settled = !entry.txn && (!last || last.stored !== null)
      if (settled && entry.lastTimestamp >= 0 && nowMs - entry.lastTimestamp > expirationMs) {
        this.producers.delete(producerId)
        continue
      }
      // Transactions whose marker is below the offset are ended in this snapshot and every later one.
      entry.ended = entry.ended.filter((t) => t.markerOffset >= offset)
      let openAt = -1
      const endedFirst = entry.ended[0]
      if (endedFirst) {
        if (endedFirst.firstOffset < offset) openAt = endedFirst.firstOffset
      } else if (entry.txn?.first.stored && entry.txn.first.stored.baseOffset < offset) {
        openAt = entry.txn.first.stored.baseOffset
      }
      const batches: SnapshotBatch[] = []
      for (const b of entry.batches) {
        if (b.stored && b.stored.lastOffset < offset) batches.push([b.firstSeq, b.lastSeq, b.stored.baseOffset, b.stored.lastOffset, b.maxTimestamp])
      }
      if (batches.length > 0 || openAt >= 0 || entry.coordinatorEpoch >= 0) {
        producers.push([producerId, entry.epoch, batches, openAt, entry.coordinatorEpoch, entry.lastTimestamp])
      }
    }
    this.changed = false
    return { offset, producers }
  }

  /**
   * Takes `other`'s producers in one step (a rebuild is built aside, then swapped in), and its
   * aborted transactions from `replayedFrom`, where its replay of the log began.
   */
  replaceWith(other: ProducerStateTable, replayedFrom: number): void {
    this.rebuilds++
    this.producers.clear()
    for (const [id, entry] of other.producers) this.producers.set(id, entry)
    this.inTxn.clear()
    for (const entry of other.inTxn) this.inTxn.add(entry)
    this.aborted.replaceFrom(replayedFrom, other.aborted.entries())
    this.changed = true
  }

  static fromSnapshot(snapshot: ProducerSnapshot): ProducerStateTable {
    const table = new ProducerStateTable()
    for (const [producerId, epoch, batches, txnFirst = -1, coordinatorEpoch = -1, lastTimestamp] of snapshot.producers) {
      const sequenced = batches.map(([firstSeq, lastSeq, baseOffset, lastOffset, maxTimestamp]): SequencedBatch => {
        const stored = { baseOffset, lastOffset }
        return { firstSeq, lastSeq, maxTimestamp, offsets: Promise.resolve(stored), stored }
      })
      let txn: OpenTxn | null = null
      if (txnFirst >= 0) {
        // The batch that began it may be older than the five kept: only its offset matters now.
        const stored = { baseOffset: txnFirst, lastOffset: txnFirst }
        txn = { first: { firstSeq: -1, lastSeq: -1, maxTimestamp: -1, offsets: Promise.resolve(stored), stored }, lowerBound: txnFirst }
      }
      const entry: ProducerEntry = {
        epoch,
        batches: sequenced,
        // Known by its epoch only (a marker's, or batches all past the snapshot, replayed next).
        sequenceRestarts: sequenced.length === 0,
        txn,
        ended: [],
        coordinatorEpoch,
        lastTimestamp: lastTimestamp ?? sequenced[sequenced.length - 1]?.maxTimestamp ?? -1,
      }
      table.producers.set(producerId, entry)
      if (txn) table.inTxn.add(entry)
    }
    return table
  }
}

/** Without a usable snapshot, how far back (in offsets) a replica reads the log. */
const PRODUCER_STATE_REBUILD_OFFSETS = 100_000

/**
 * Rebuilds the producers' state of a log (sequences, open transactions, and the aborted index from
 * where the replay starts): from `snapshot` when it is within the log (and replays the log from its
 * offset, markers included), else from the log's last stretch. Built aside and swapped in at the
 * end, so the table is never seen half rebuilt. Without a snapshot, a transaction that began
 * before that stretch is seen open from its first batch in it (its aborted entry, if persisted,
 * keeps its true start).
 */
export async function rebuildProducerState(log: PartitionLog, table: ProducerStateTable, snapshot: ProducerSnapshot | null): Promise<void> {
  const usable = snapshot !== null && snapshot.offset >= log.logStartOffset && snapshot.offset <= log.logEndOffset
  const rebuilt = usable ? ProducerStateTable.fromSnapshot(snapshot) : new ProducerStateTable()
  let offset = usable ? snapshot.offset : Math.max(log.logStartOffset, log.logEndOffset - PRODUCER_STATE_REBUILD_OFFSETS)
  const replayedFrom = offset
  while (offset < log.logEndOffset) {
    const batches = await log.read(offset, LOG_PASS_READ_BYTES, log.logEndOffset)
    if (batches.length === 0) break
    // The first batch holds `offset` (it may start before it): it ends past the snapshot's
    // offset, so the snapshot does not have it.
    let last: BatchHeader | undefined
    for (const b of batches) {
      const headers = readBatchHeaders(b)
      rebuilt.recordStored({ bytes: b, batches: headers })
      last = headers[headers.length - 1] ?? last
    }
    if (last === undefined) break
    if (last.lastOffset + 1 <= offset) break
    offset = last.lastOffset + 1
  }
  table.replaceWith(rebuilt, replayedFrom)
}

/** Where a partition's producer snapshot lives in its broker's meta store. */
const snapshotKey = (topicId: string, partition: number): string => `producers|${topicId}|${partition}`

export async function loadProducerSnapshot(meta: MetaStore, topicId: string, partition: number): Promise<ProducerSnapshot | null> {
  const bytes = await meta.get(snapshotKey(topicId, partition))
  if (!bytes) return null
  try {
    return JSON.parse(bytes.toString('utf8')) as ProducerSnapshot
  } catch {
    // A snapshot that does not parse is no snapshot: the log tail is read instead.
    return null
  }
}

export function saveProducerSnapshot(meta: MetaStore, topicId: string, partition: number, snapshot: ProducerSnapshot): Promise<void> {
  return meta.put(snapshotKey(topicId, partition), Buffer.from(JSON.stringify(snapshot)))
}

export function deleteProducerSnapshot(meta: MetaStore, topicId: string, partition: number): Promise<void> {
  return meta.del(snapshotKey(topicId, partition))
}
