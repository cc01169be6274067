/**
 * `sluice produce`: JSON lines in, records out, on sluice's own client (wire/client.ts): a CLI
 * call that sends one record must not pay for loading a client library (docs/performance.md).
 *
 * The loop: read a chunk (as large as the OS gives it), split it into lines by hand, turn each
 * line into a record (batch-builder.ts), hand full batches to the send pipeline (several sends
 * in flight, bounded: the reader waits while they are all busy, which is the backpressure on
 * stdin). When the input pauses for LINGER_MS (a person typing, a slow upstream) the records read
 * so far go out, so none waits for a batch to fill.
 *
 * Stopping, in every case after the sends already made are acknowledged or have failed:
 *   end of input      everything read is sent
 *   bad line          every record before it is sent, nothing after it (--on-invalid fail)
 *   Ctrl-C / SIGTERM  reading stops; what was read is sent; the summary says how far it got
 *   a send fails      reading stops; the error says which lines were acknowledged
 *
 * With a transactional id (transactions.ts) the input is one transaction, committed at its end,
 * or one per `records` records (each commits once its batches are acknowledged, before the next
 * batch goes out). A bad line, Ctrl-C, a failed send or a failed commit aborts the open
 * transaction instead of sending what was read: read_committed readers never see a half-read
 * input, and the transactions committed before stay.
 */
import { isAscii } from 'node:buffer'
import fs from 'node:fs'
import type { Readable } from 'node:stream'
import type { CompressionAlgorithmValue } from '@platformatic/kafka'
import { ExitCode, SluiceError } from '../../common/errors.js'
import { kafkaApiCode, type ClusterTarget } from '../kafka.js'
import { WireClient } from '../wire/client.js'
import { RECORD_BATCH_OVERHEAD } from '../../protocol/batch-layout.js'
import { BatchBuilder, type InvalidLine, type Mode } from './batch-builder.js'
import {
  DELIVERY_TIMEOUT_MS,
  describeTopic,
  isRetriableSend,
  REQUEST_TIMEOUT_MS,
  RETRY_BACKOFF_MS,
  sendFailed,
  type ProduceClient,
  type TopicInfo,
} from './producer-setup.js'
import { RawSender } from './raw-sender.js'
import { LineSplitter, LineTooLongError } from './lines.js'
import { SendPipeline, type SendBatch } from './send-pipeline.js'
import { Progress, type ProduceSummary } from './summary.js'
import { fatalSendError, TransactionManager } from './transactions.js'

export type Acks = 'all' | '1' | '0'
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4'

export interface ProduceOptions {
  target: ClusterTarget
  topic: string
  /** An open input: stdin, or a file opened by openInput(). */
  input: Readable
  mode: Mode
  headers: readonly (readonly [string, string])[]
  partition: number | undefined
  acks: Acks
  compression: Compression
  onInvalid: 'fail' | 'skip'
  /** With onInvalid skip: an fd that gets the raw skipped lines instead of stderr. */
  deadLetterFd: number | undefined
  progress: 'auto' | 'on' | 'off'
  signal: AbortSignal
  note: (message: string) => void
  /** --transactional-id (acks must be all). */
  transaction?: TransactionOptions
}

export interface TransactionOptions {
  transactionalId: string
  /** Commit every this many records; undefined: the whole input is one transaction. */
  records: number | undefined
  timeoutMs: number
}

// Batches as large as librdkafka's (about 10,000 records, 1 MB): sluice encodes each partition's
// records straight into one buffer (batch-encoder.ts), so a batch costs this process the same per
// record whatever its size, and fewer, larger requests cost the daemon less (one append, one
// replica fetch and one LevelDB write per replica per batch).
const BATCH_RECORDS_MAX = 10000
const BATCH_BYTES_MAX = 1048576
const IN_FLIGHT_MAX = 8
const LINGER_MS = 5
/** No record can be longer than this; a longer line is never buffered whole. */
const LINE_BYTES_MAX_FLOOR = 16 << 20

const ACKS: Record<Acks, number> = { all: -1, '1': 1, '0': 0 }

const READ_CHUNK_BYTES = 1 << 20

/** Opens --file (or stdin): a missing file fails before anything connects. */
export async function openInput(file: string | undefined): Promise<Readable> {
  if (file === undefined || file === '-') {
    // stdin redirected from a file (`< big.jsonl`): read it in large chunks, as --file does
    // (process.stdin would read 64 KiB at a time). Pipes and terminals stay with process.stdin.
    if (stdinIsFile()) return fs.createReadStream('', { fd: 0, highWaterMark: READ_CHUNK_BYTES, autoClose: false })
    return process.stdin
  }
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(file, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new SluiceError('NOT_FOUND', `--file ${file}: no such file`, { cause: err })
    throw new SluiceError('BAD_INPUT', `--file ${file}: cannot read it (${code ?? String(err)})`, { cause: err })
  }
  return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES })
}

function stdinIsFile(): boolean {
  try {
    return fs.fstatSync(0).isFile()
  } catch {
    return false // closed stdin: process.stdin reports it
  }
}

export async function produce(opts: ProduceOptions): Promise<ProduceSummary> {
  const producer = new WireClient(opts.target, 'sluice-produce')
  try {
    const topic = await describeTopic(producer, opts.target, opts.topic)
    if (opts.partition !== undefined && opts.partition >= topic.numPartitions) {
      const n = topic.numPartitions
      throw new SluiceError('NOT_FOUND', `partition ${opts.partition} does not exist: topic ${opts.topic} has ${n} partition${n === 1 ? '' : 's'} (0-${n - 1})`)
    }
    let txn: TransactionManager | undefined
    if (opts.transaction !== undefined) {
      const { transactionalId, timeoutMs } = opts.transaction
      txn = new TransactionManager(producer, opts.target, { transactionalId, transactionTimeoutMs: timeoutMs })
      await txn.init()
    }
    return await new ProduceRun(producer, topic, opts, txn).run()
  } finally {
    producer.close()
  }
}

/** The batches up to the last one that ends a transaction: the transactions read whole. */
function readWhole(batches: SendBatch[]): SendBatch[] {
  let end = batches.length
  while (end > 0 && batches[end - 1]!.endsTransaction !== true) end--
  return batches.slice(0, end)
}

/** One run of the loop, from the first chunk read to the summary (or the error). */
class ProduceRun {
  private readonly builder: BatchBuilder
  private readonly pipeline: SendPipeline
  private readonly splitter: LineSplitter
  private readonly progress: Progress
  private skipped = 0
  /** The invalid line that stops the run (--on-invalid fail). */
  private stop: InvalidLine | undefined
  private tooLong: LineTooLongError | undefined
  private readError: unknown
  /** Batches go to the pipeline one at a time, in order, through this chain (with commits between transactions). */
  private dispatching: Promise<void> = Promise.resolve()
  /** Records added to the open transaction since the last --transaction-records boundary. */
  private txnRecords = 0
  private readonly txnTally = { committed: 0, committedRecords: 0, aborted: false, abortedRecords: 0 }
  /** A commit (or the abort after a stop) that failed. */
  private txnError: unknown

  constructor(
    producer: ProduceClient,
    private readonly topic: TopicInfo,
    private readonly opts: ProduceOptions,
    private readonly txn?: TransactionManager,
  ) {
    const recordBytesMax = topic.maxMessageBytes - RECORD_BATCH_OVERHEAD
    const sender = new RawSender(producer, {
      topic: opts.topic,
      numPartitions: topic.numPartitions,
      idempotent: opts.acks === 'all',
      timeoutMs: REQUEST_TIMEOUT_MS,
      transaction: txn,
    })
    this.pipeline = new SendPipeline(sender, {
      acks: ACKS[opts.acks],
      compression: opts.compression as CompressionAlgorithmValue,
      numPartitions: topic.numPartitions,
      inFlightMax: IN_FLIGHT_MAX,
      idempotent: opts.acks === 'all',
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      retryBackoffMs: RETRY_BACKOFF_MS,
      retriable: isRetriableSend,
    })
    this.progress = new Progress(process.stderr, opts.progress, this.pipeline.acked)
    this.builder = new BatchBuilder({
      topic: opts.topic,
      mode: opts.mode,
      headers: opts.headers,
      partition: opts.partition,
      numPartitions: topic.numPartitions,
      // A compressed batch is held to the limit by its compressed size, which only the broker sees.
      recordBytesMax: opts.compression === 'none' ? recordBytesMax : undefined,
      batchRecordsMax: BATCH_RECORDS_MAX,
      batchBytesMax: Math.max(1, Math.min(BATCH_BYTES_MAX, recordBytesMax)),
      note: (message) => this.note(message),
    })
    // Base64 in an envelope takes 4/3 of the bytes: a longer line cannot be a record the topic takes.
    this.splitter = new LineSplitter(Math.max(LINE_BYTES_MAX_FLOOR, 2 * topic.maxMessageBytes), opts.mode.kind === 'text')
  }

  async run(): Promise<ProduceSummary> {
    const startedAt = performance.now()
    this.progress.start()
    this.txn?.begin()
    await this.readAll()
    // Everything read before the stop is sent (unless a send failed); with a transaction stopped,
    // only the transactions read whole (--transaction-records), the open one being aborted. Then
    // every send is waited for.
    const commit = this.txn === undefined || this.endedCleanly()
    if (commit) await this.dispatch(this.builder.takeAll())
    else await this.dispatch(readWhole(this.builder.takeFull()))
    await this.dispatching
    await this.pipeline.drain()
    if (this.txn !== undefined) await this.endTransaction(commit && this.endedCleanly())
    this.progress.stop()
    // Stop reading for good: an upstream still writing gets EPIPE (as with `head`), and an open
    // pipe does not keep this process alive after a stop.
    this.opts.input.destroy()
    this.throwIfStopped()
    return this.summary((performance.now() - startedAt) / 1000)
  }

  /** Erases the live progress line first; the next tick draws it again. */
  private note(message: string): void {
    this.progress.clear()
    this.opts.note(message)
  }

  private readonly onLine = (buf: Buffer, start: number, end: number, lineNo: number, ascii: boolean): boolean => {
    const invalid = this.builder.add(buf, start, end, lineNo, ascii)
    if (invalid === undefined) {
      const every = this.opts.transaction?.records
      if (every !== undefined && ++this.txnRecords >= every) {
        this.builder.endTransaction()
        this.txnRecords = 0
      }
      return true
    }
    if (this.opts.onInvalid === 'fail') {
      this.stop = invalid
      return false
    }
    this.skipped++
    const deadLetterFd = this.opts.deadLetterFd
    if (deadLetterFd !== undefined) {
      fs.writeSync(deadLetterFd, buf.subarray(start, end))
      fs.writeSync(deadLetterFd, '\n')
    } else {
      this.note(`line ${lineNo} skipped: ${invalid.reason}`)
    }
    return true
  }

  /** Reads and splits the input until its end, a stop, a failed send or Ctrl-C. */
  private async readAll(): Promise<void> {
    const { input, signal } = this.opts
    const { builder, pipeline, splitter, onLine } = this
    if (signal.aborted) return // Ctrl-C while connecting
    let linger: NodeJS.Timeout | undefined
    // The input paused: send what was read, unless every send slot is busy (then look again).
    const flushPartial = (): void => {
      if (pipeline.inFlightCount >= IN_FLIGHT_MAX) linger = setTimeout(flushPartial, LINGER_MS)
      else void this.dispatch(builder.takeAll())
    }
    // Ctrl-C: destroying the input ends the loop below, even while it waits for a chunk.
    const onAbort = (): void => void input.destroy()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        clearTimeout(linger)
        if (!splitter.push(chunk, isAscii(chunk), onLine)) break
        await this.dispatch(builder.takeFull())
        if (pipeline.failure !== undefined || this.txnError !== undefined || signal.aborted) break
        linger = setTimeout(flushPartial, LINGER_MS)
      }
      if (this.stop === undefined && pipeline.failure === undefined && !signal.aborted) splitter.end(onLine)
    } catch (err) {
      if (err instanceof LineTooLongError) this.tooLong = err
      // The input destroyed by Ctrl-C may end the loop with a premature-close error: that is the stop.
      else if (!signal.aborted) this.readError = err
    } finally {
      clearTimeout(linger)
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** Sends batches in order; a batch that ends a transaction is committed before the next goes out. */
  private dispatch(batches: SendBatch[]): Promise<void> {
    if (batches.length === 0) return this.dispatching
    this.dispatching = this.dispatching.then(async () => {
      for (const batch of batches) {
        if (this.pipeline.failure !== undefined || this.txnError !== undefined) return
        await this.pipeline.send(batch)
        if (batch.endsTransaction === true) await this.commit()
      }
    })
    return this.dispatching
  }

  /** True when the input was read to its end with nothing stopping the run. */
  private endedCleanly(): boolean {
    return (
      this.stop === undefined &&
      this.tooLong === undefined &&
      this.readError === undefined &&
      this.pipeline.failure === undefined &&
      this.txnError === undefined &&
      !this.opts.signal.aborted
    )
  }

  /** Commits the open transaction once its batches are acknowledged, and begins the next. */
  private async commit(): Promise<void> {
    const txn = this.txn!
    await this.pipeline.drain()
    if (this.pipeline.failure !== undefined) return
    const records = this.pipeline.acked.records - this.txnTally.committedRecords - this.txnTally.abortedRecords
    try {
      await txn.commit()
      if (records > 0) this.txnTally.committed++
      this.txnTally.committedRecords += records
      txn.begin()
    } catch (err) {
      this.txnError = err
    }
  }

  /** At the end of the run: commit the open transaction, or abort it after a stop. */
  private async endTransaction(commit: boolean): Promise<void> {
    const txn = this.txn!
    if (commit) return this.commit()
    if (!txn.inTransaction) return
    const records = this.pipeline.acked.records - this.txnTally.committedRecords
    try {
      await txn.abort()
      this.txnTally.aborted = true
      this.txnTally.abortedRecords = records
    } catch (err) {
      // The stop is what the person needs to hear of; a failed abort is said in the same message.
      this.txnError ??= err
    }
  }

  /** What became of the records sent, for the error messages. */
  private ackedText(): string {
    const { records } = this.pipeline.acked
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
    if (this.txn === undefined) return `${records} record${records === 1 ? ' was' : 's were'} acknowledged`
    const t = this.txnTally
    let text = `${plural(t.committedRecords, 'record')} committed in ${plural(t.committed, 'transaction')} (transactional id ${this.txn.transactionalId})`
    if (t.aborted && t.abortedRecords > 0) text += `; the open transaction was aborted (${plural(t.abortedRecords, 'record')} sent in it, never visible to read_committed consumers)`
    else if (t.aborted) text += '; the open transaction was aborted (none of its records had been sent)'
    else if (this.txn.inTransaction) text += '; the open transaction could not be aborted: the coordinator aborts it after the transaction timeout'
    return text
  }

  private throwIfStopped(): void {
    const ackedText = this.ackedText()
    const failure = this.pipeline.failure
    if (failure !== undefined && this.txn !== undefined) {
      const fenced = fatalSendError(this.txn.transactionalId, kafkaApiCode(failure.error), failure.error)
      if (fenced !== undefined) throw new SluiceError(fenced.code, `${fenced.message}; ${ackedText}`, { exit: fenced.exit, cause: failure.error })
    }
    if (failure !== undefined) throw sendFailed(failure.error, this.opts.target, this.opts.topic, failure.firstLineNo, failure.lastLineNo, ackedText)
    const stop = this.stop
    if (stop !== undefined) {
      const before = this.txn === undefined ? ` (every record before line ${stop.lineNo})` : ''
      throw new SluiceError(stop.code, `line ${stop.lineNo}: ${stop.reason}; stopped there: ${ackedText}${before}, nothing after it was sent`, {
        exit: ExitCode.BAD_INPUT,
        details: stop.code === 'BAD_INPUT' ? ['use --on-invalid skip to skip such lines (with --dead-letter FILE to keep them)'] : undefined,
      })
    }
    if (this.tooLong !== undefined) {
      const { lineNo, lineBytesMax } = this.tooLong
      throw new SluiceError(
        'RECORD_TOO_LARGE',
        `line ${lineNo} is longer than ${lineBytesMax} bytes, more than topic ${this.opts.topic} accepts (max.message.bytes ${this.topic.maxMessageBytes}); stopped there: ${ackedText}`,
        { exit: ExitCode.BAD_INPUT },
      )
    }
    if (this.readError !== undefined) {
      const why = this.readError instanceof Error ? this.readError.message : String(this.readError)
      throw new SluiceError('BAD_INPUT', `reading the input failed after line ${this.splitter.lineNo}: ${why}; ${ackedText}`, { cause: this.readError })
    }
    if (this.txnError !== undefined) {
      const e = this.txnError
      if (e instanceof SluiceError) throw new SluiceError(e.code, `${e.message}; ${ackedText}`, { exit: e.exit, cause: e })
      throw e
    }
  }

  private summary(seconds: number): ProduceSummary {
    const acked = this.pipeline.acked
    const summary: ProduceSummary = {
      topic: this.opts.topic,
      records: acked.records,
      bytes: acked.bytes,
      partitions: Object.fromEntries(acked.perPartition.map((n, p) => [String(p), n])),
      seconds: Math.round(seconds * 1000) / 1000,
      recordsPerSecond: seconds > 0 ? Math.round(acked.records / seconds) : 0,
      skipped: this.skipped,
      acks: this.opts.acks,
      lastLine: this.splitter.lineNo,
      interrupted: this.opts.signal.aborted,
    }
    if (this.opts.mode.kind === 'key') summary.nullKeys = this.builder.nullKeys
    if (this.txn !== undefined) summary.transactions = { transactionalId: this.txn.transactionalId, ...this.txnTally }
    return summary
  }
}
