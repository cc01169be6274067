/**
 * `sluice produce`: JSON lines in, records out, through @platformatic/kafka's Producer.
 *
 * The loop: read a chunk (large, as the OS gives it), split it into lines by hand, turn each line
 * into a record (batch-builder.ts), hand full batches to the send pipeline (several sends in
 * flight, bounded: the reader waits when they are all busy, which is the backpressure on stdin).
 * A partial batch goes out when the input pauses for LINGER_MS (a person typing, a slow
 * upstream), so records never wait for a batch to fill.
 *
 * Stopping, in every case after the sends already made are acknowledged or failed:
 *   end of input      everything read is sent
 *   bad line          every record before it is sent, nothing after it (--on-invalid fail)
 *   Ctrl-C / SIGTERM  reading stops; what was read is sent; the summary says how far it got
 *   a send fails      reading stops; the error says which lines may not have been written
 */
import fs from 'node:fs'
import { isAscii } from 'node:buffer'
import type { Readable } from 'node:stream'
import { Admin, ConfigResourceTypes, Producer, type CompressionAlgorithmValue } from '@platformatic/kafka'
import { ExitCode, SluiceError } from '../../cli/errors.js'
import { clientOptions, kafkaApiCode, toClusterError, type ClusterTarget } from '../kafka.js'
import { BATCH_OVERHEAD_BYTES, BatchBuilder, type InvalidLine, type Mode } from './batch-builder.js'
import { LineSplitter, LineTooLongError } from './lines.js'
import { SendPipeline } from './send-pipeline.js'
import { Progress, type ProduceSummary } from './summary.js'

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
}

/** Kafka's default max.message.bytes, used when the topic's own cannot be read. */
const MAX_MESSAGE_BYTES_DEFAULT = 1_048_588
// Measured (1M 100-byte lines): batches of about 1,000 records cost the client a third less CPU
// than 10,000 (the client builds each batch from many small buffers; big ones churn the GC).
const BATCH_RECORDS_MAX = Number(process.env.TUNE_RECORDS ?? 1_000)
const BATCH_BYTES_MAX = Number(process.env.TUNE_BYTES ?? 256 << 10)
const IN_FLIGHT_MAX = Number(process.env.TUNE_INFLIGHT ?? 8)
const LINGER_MS = 5
const REQUEST_TIMEOUT_MS = 30_000
const KAFKA_UNKNOWN_TOPIC_OR_PARTITION = 3
const KAFKA_MESSAGE_TOO_LARGE = 10
const KAFKA_RECORD_LIST_TOO_LARGE = 18

const ACKS: Record<Acks, number> = { all: -1, '1': 1, '0': 0 }

/** Opens --file (or stdin): a missing file fails before anything connects. */
export async function openInput(file: string | undefined): Promise<Readable> {
  if (file === undefined || file === '-') return process.stdin
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(file, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new SluiceError('NOT_FOUND', `--file ${file}: no such file`, { cause: err })
    throw new SluiceError('BAD_INPUT', `--file ${file}: cannot read it (${code ?? String(err)})`, { cause: err })
  }
  return handle.createReadStream({ highWaterMark: 1 << 20 })
}

export function producerOptions(target: ClusterTarget): ConstructorParameters<typeof Producer<Buffer, Buffer, Buffer, Buffer>>[0] {
  return {
    ...clientOptions(target, 'sluice-produce'),
    timeout: REQUEST_TIMEOUT_MS,
    autocreateTopics: true,
    // Issue 4 (replication, failover): `idempotent: true` here, so that retries never duplicate.
  }
}

interface TopicInfo {
  numPartitions: number
  maxMessageBytes: number
}

/** The topic's partition count (creating it where the cluster auto-creates) and max.message.bytes. */
async function describeTopic(producer: Producer<Buffer, Buffer, Buffer, Buffer>, opts: ProduceOptions): Promise<TopicInfo> {
  const { topic, target } = opts
  let numPartitions: number
  try {
    const metadata = await producer.metadata({ topics: [topic], autocreateTopics: true })
    numPartitions = metadata.topics.get(topic)?.partitionsCount ?? 0
  } catch (err) {
    if (kafkaApiCode(err) === KAFKA_UNKNOWN_TOPIC_OR_PARTITION) throw missingTopic(topic, err)
    throw toClusterError(err, target, `looking up topic ${topic}`)
  }
  if (numPartitions === 0) throw missingTopic(topic, undefined)

  // A cluster that will not describe configs (no permission, an older Kafka) keeps the default.
  let maxMessageBytes = MAX_MESSAGE_BYTES_DEFAULT
  const admin = new Admin(clientOptions(target, 'sluice-produce'))
  try {
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['max.message.bytes'] }] })
    const value = described?.configs.find((c) => c.name === 'max.message.bytes')?.value
    if (value !== undefined && value !== null && /^\d+$/.test(value)) maxMessageBytes = Number(value)
  } catch {
    // keep the default
  } finally {
    await admin.close().catch(() => undefined)
  }
  return { numPartitions, maxMessageBytes }
}

function missingTopic(topic: string, cause: unknown): SluiceError {
  return new SluiceError(
    'NOT_FOUND',
    `topic ${topic} does not exist, and the cluster does not create topics on first use (auto.create.topics.enable=false): create it first (sluice topic create ${topic})`,
    { cause },
  )
}

export async function produce(opts: ProduceOptions): Promise<ProduceSummary> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>(producerOptions(opts.target))
  try {
    return await produceWith(producer, opts)
  } finally {
    await producer.close().catch(() => undefined)
  }
}

async function produceWith(producer: Producer<Buffer, Buffer, Buffer, Buffer>, opts: ProduceOptions): Promise<ProduceSummary> {
  const { topic, input, signal } = opts
  const { numPartitions, maxMessageBytes } = await describeTopic(producer, opts)
  if (opts.partition !== undefined && opts.partition >= numPartitions) {
    throw new SluiceError('NOT_FOUND', `partition ${opts.partition} does not exist: topic ${topic} has ${numPartitions} partition${numPartitions === 1 ? '' : 's'} (0-${numPartitions - 1})`)
  }

  const recordBytesMax = maxMessageBytes - BATCH_OVERHEAD_BYTES
  const builder = new BatchBuilder({
    topic,
    mode: opts.mode,
    headers: opts.headers,
    partition: opts.partition,
    numPartitions,
    // Compressed batches are checked by their compressed size, which only the broker knows.
    recordBytesMax: opts.compression === 'none' ? recordBytesMax : undefined,
    batchRecordsMax: BATCH_RECORDS_MAX,
    batchBytesMax: Math.max(1, Math.min(BATCH_BYTES_MAX, recordBytesMax)),
    note: opts.note,
  })
  const pipeline = new SendPipeline(producer, {
    acks: ACKS[opts.acks],
    compression: opts.compression as CompressionAlgorithmValue,
    numPartitions,
    inFlightMax: IN_FLIGHT_MAX,
  })
  // A line that long cannot be a record the topic takes (base64 in an envelope is 4/3 of the bytes).
  const splitter = new LineSplitter(Math.max(16 << 20, 2 * maxMessageBytes))
  let skipped = 0
  let stop: InvalidLine | undefined

  const onLine = (buf: Buffer, start: number, end: number, lineNo: number, ascii: boolean): boolean => {
    const invalid = builder.add(buf, start, end, lineNo, ascii)
    if (invalid === undefined) return true
    if (opts.onInvalid === 'fail') {
      stop = invalid
      return false
    }
    skipped++
    if (opts.deadLetterFd !== undefined) {
      fs.writeSync(opts.deadLetterFd, buf.subarray(start, end))
      fs.writeSync(opts.deadLetterFd, '\n')
    } else {
      opts.note(`line ${lineNo} skipped: ${invalid.reason}`)
    }
    return true
  }

  const startedAt = performance.now()
  const progress = new Progress(process.stderr, opts.progress, pipeline.acked)
  progress.start()
  let linger: NodeJS.Timeout | undefined
  const flushPartial = (): void => {
    for (const batch of builder.takeAll()) void pipeline.send(batch)
  }
  const onAbort = (): void => {
    input.destroy()
  }
  signal.addEventListener('abort', onAbort, { once: true })
  let tooLong: LineTooLongError | undefined
  let readError: unknown

  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      clearTimeout(linger)
      if (!splitter.push(chunk, isAscii(chunk), onLine)) break
      for (const batch of builder.takeFull()) await pipeline.send(batch)
      if (pipeline.failure !== undefined || signal.aborted) break
      linger = setTimeout(flushPartial, LINGER_MS)
    }
    if (stop === undefined && pipeline.failure === undefined && !signal.aborted) splitter.end(onLine)
  } catch (err) {
    if (err instanceof LineTooLongError) tooLong = err
    // A stream destroyed by Ctrl-C ends the loop with a premature-close error: that is the stop.
    else if (!signal.aborted) readError = err
  } finally {
    clearTimeout(linger)
    signal.removeEventListener('abort', onAbort)
  }

  // Everything read before the stop is sent; then every send is waited for.
  if (pipeline.failure === undefined) for (const batch of builder.takeAll()) await pipeline.send(batch)
  await pipeline.drain()
  progress.stop()
  if (input !== process.stdin) input.destroy()
  else process.stdin.pause()

  const seconds = (performance.now() - startedAt) / 1000
  const acked = pipeline.acked
  const summary: ProduceSummary = {
    topic,
    records: acked.records,
    bytes: acked.bytes,
    partitions: Object.fromEntries(acked.perPartition.map((n, p) => [String(p), n])),
    seconds: Math.round(seconds * 1000) / 1000,
    recordsPerSecond: seconds > 0 ? Math.round(acked.records / seconds) : 0,
    skipped,
    acks: opts.acks,
    lastLine: splitter.lineNo,
    interrupted: signal.aborted,
  }
  if (opts.mode.kind === 'key') summary.nullKeys = builder.nullKeys

  const ackedText = `${acked.records} record${acked.records === 1 ? ' was' : 's were'} acknowledged`
  if (pipeline.failure !== undefined) throw sendFailed(pipeline.failure.error, pipeline.failure.firstLineNo, pipeline.failure.lastLineNo, ackedText, opts)
  if (stop !== undefined) {
    throw new SluiceError(stop.code, `line ${stop.lineNo}: ${stop.reason}; stopped there: ${ackedText} (every record before line ${stop.lineNo}), nothing after it was sent`, {
      exit: ExitCode.BAD_INPUT,
      details: stop.code === 'BAD_INPUT' ? ['use --on-invalid skip to skip such lines (with --dead-letter FILE to keep them)'] : undefined,
    })
  }
  if (tooLong !== undefined) {
    throw new SluiceError(
      'RECORD_TOO_LARGE',
      `line ${tooLong.lineNo} is longer than ${tooLong.lineBytesMax} bytes, more than topic ${topic} accepts (max.message.bytes ${maxMessageBytes}); stopped there: ${ackedText}`,
      { exit: ExitCode.BAD_INPUT },
    )
  }
  if (readError !== undefined) {
    throw new SluiceError('BAD_INPUT', `reading the input failed after line ${splitter.lineNo}: ${(readError as Error).message ?? String(readError)}; ${ackedText}`, { cause: readError })
  }
  return summary
}

function sendFailed(error: unknown, firstLineNo: number, lastLineNo: number, ackedText: string, opts: ProduceOptions): SluiceError {
  const where = `every record before line ${firstLineNo} was acknowledged; lines ${firstLineNo}-${lastLineNo} were not, nor any after them for sure (${ackedText})`
  const code = kafkaApiCode(error)
  if (code === KAFKA_MESSAGE_TOO_LARGE || code === KAFKA_RECORD_LIST_TOO_LARGE) {
    return new SluiceError('RECORD_TOO_LARGE', `the cluster refused the records of lines ${firstLineNo}-${lastLineNo} as too large for topic ${opts.topic} (max.message.bytes); ${where}`, {
      exit: ExitCode.BAD_INPUT,
      cause: error,
    })
  }
  if (code === KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
    return new SluiceError('NOT_FOUND', `topic ${opts.topic} (or one of its partitions) disappeared while producing; ${where}`, { cause: error })
  }
  const base = toClusterError(error, opts.target, `producing to ${opts.topic}`)
  return new SluiceError(base.code, `${base.message}; ${where}`, { exit: base.exit, cause: error, retriable: base.retriable })
}
