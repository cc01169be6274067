/**
 * The offsets grammar shared by consume, tail and replay (`--from`, `--to`), and its resolution
 * to offsets through ListOffsets.
 *
 *   earliest          the log start offset
 *   latest            the end of the partition: the high watermark (the next offset written),
 *                     or the last stable offset at isolation read_committed (consume/isolation.ts)
 *   N                 offset N
 *   -N                N records before the end (clamped to the log start)
 *   +N                N records after the log start (clamped to the end)
 *   @<time>           the first record whose timestamp is at or after <time>: ISO-8601 with a zone
 *                     (2026-11-20T10:00:00Z, 2026-11-20T11:00+01:00), a date (2026-11-20, UTC
 *                     midnight), or milliseconds since the epoch (@1795460244909)
 *   @-<duration>      the same, <duration> before now: 30s, 15m, 2h, 1d, 1w, 500ms, 1h30m
 *
 * Per partition: a comma list of `P:position` entries; an entry without `P:` is the default for
 * the partitions not named, and partitions with neither take the flag's own default. So
 * `--from 0:120,1:98` starts partition 0 at 120, 1 at 98 and the others where the command starts
 * by default, and `--from latest,0:120` starts partition 0 at 120 and all others at the end.
 *
 * A `--to` position is exclusive, like every end offset in Kafka: `--to 100` stops before offset
 * 100, `--to latest` at the end seen at start, `--to @T` before the first record at or after T
 * (when no record has reached T yet, at the first one that does).
 */
import { SluiceError } from '../common/errors.js'
import { retryRetriable } from './kafka.js'

export type OffsetPosition =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'absolute'; offset: number }
  | { kind: 'fromEnd'; count: number }
  | { kind: 'fromStart'; count: number }
  | { kind: 'timestamp'; timestampMs: number }
  | { kind: 'ago'; durationMs: number }

export interface OffsetSpec {
  /** The text as given, for messages. */
  text: string
  /** For the partitions without an entry of their own; undefined: the command's default. */
  default?: OffsetPosition
  partitions: Map<number, OffsetPosition>
}

const GRAMMAR_HINT =
  'expected earliest, latest, N, -N, +N, @<ISO-8601 time>, @<epoch ms> or @-<duration> (e.g. @-15m), optionally per partition (0:120,1:98)'

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `15m`, `2h`, `1h30m`, `500ms` -> milliseconds; undefined when not a duration. */
export function parseDurationMs(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(text)) return undefined
  let total = 0
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(n) * DURATION_UNITS_MS[unit!]!
  return Number.isSafeInteger(total) ? total : undefined
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i
const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i

/** The time after `@` -> milliseconds since the epoch. Throws a usage error naming the flag. */
export function parseTimeMs(text: string, flag: string): number {
  let ms = Number.NaN
  if (/^\d+$/.test(text)) ms = Number(text)
  else if (ISO_DATE.test(text)) ms = Date.parse(`${text}T00:00:00Z`)
  else if (ISO_DATE_TIME.test(text)) ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
  else if (ISO_NO_ZONE.test(text)) {
    throw new SluiceError('USAGE', `${flag} @${text}: the time has no zone; add Z for UTC or an offset such as +01:00`)
  }
  if (!Number.isSafeInteger(ms)) throw new SluiceError('USAGE', `${flag} @${text}: not a time; ${GRAMMAR_HINT}`)
  return ms
}

/** One position (no partition prefix). */
export function parsePosition(text: string, flag = '--from'): OffsetPosition {
  const t = text.trim()
  const bad = (): SluiceError => new SluiceError('USAGE', `${flag} "${text}": ${GRAMMAR_HINT}`)
  if (t === 'earliest') return { kind: 'earliest' }
  if (t === 'latest') return { kind: 'latest' }
  if (/^\d+$/.test(t)) return { kind: 'absolute', offset: safe(Number(t), bad) }
  if (/^-\d+$/.test(t)) return { kind: 'fromEnd', count: safe(Number(t.slice(1)), bad) }
  if (/^\+\d+$/.test(t)) return { kind: 'fromStart', count: safe(Number(t.slice(1)), bad) }
  if (t.startsWith('@-')) {
    const durationMs = parseDurationMs(t.slice(2))
    if (durationMs === undefined) {
      throw new SluiceError('USAGE', `${flag} "${text}": a duration is digits and a unit (ms, s, m, h, d, w), e.g. @-15m or @-1h30m`)
    }
    return { kind: 'ago', durationMs }
  }
  if (t.startsWith('@') && t.length > 1) return { kind: 'timestamp', timestampMs: parseTimeMs(t.slice(1), flag) }
  throw bad()
}

function safe(n: number, bad: () => SluiceError): number {
  if (!Number.isSafeInteger(n)) throw bad()
  return n
}

/** Parses a whole --from/--to value: a position, or a comma list of them with `P:` prefixes. */
export function parseOffsetSpec(text: string, flag = '--from'): OffsetSpec {
  const spec: OffsetSpec = { text, partitions: new Map() }
  const items = text.split(',').map((s) => s.trim())
  if (items.some((s) => s === '')) throw new SluiceError('USAGE', `${flag} "${text}": an empty entry; ${GRAMMAR_HINT}`)
  for (const item of items) {
    const m = /^(\d+):(.+)$/.exec(item)
    if (m) {
      const partition = Number(m[1])
      if (spec.partitions.has(partition)) throw new SluiceError('USAGE', `${flag} "${text}": partition ${partition} is given twice`)
      spec.partitions.set(partition, parsePosition(m[2]!, flag))
    } else {
      if (spec.default !== undefined) {
        throw new SluiceError('USAGE', `${flag} "${text}": more than one entry without a partition (P:position names one)`)
      }
      spec.default = parsePosition(item, flag)
    }
  }
  return spec
}

/** Log start and end offsets of a partition. */
export interface PartitionBounds {
  start: number
  end: number
}

/** How positions meet the cluster (ListOffsets); kafkaOffsetLookup() is the real one. */
export interface OffsetLookup {
  bounds(partitions: number[]): Promise<Map<number, PartitionBounds>>
  /** The first offset whose record timestamp is at or after `timestampMs`; null when there is none yet. */
  forTimestamp(partitions: number[], timestampMs: number): Promise<Map<number, number | null>>
}

export interface ResolvedPosition {
  /** The offset; Infinity for a `to` that no record has reached yet (see timestampMs). */
  offset: number
  /** For @ positions: the time, so a follow can stop at the first later record with a timestamp at or after it. */
  timestampMs?: number
}

export interface ResolveOptions {
  partitions: number[]
  lookup: OffsetLookup
  /** For the partitions the spec does not cover. */
  fallback: OffsetPosition
  /** 'to' positions that no record has reached are open-ended (Infinity) rather than the end. */
  role: 'from' | 'to'
  nowMs: number
  /** Bounds already fetched (saves a ListOffsets round). */
  bounds?: Map<number, PartitionBounds>
}

/** The position each partition gets from a spec (or undefined spec: the fallback). */
export function positionFor(spec: OffsetSpec | undefined, partition: number, fallback: OffsetPosition): OffsetPosition {
  return spec?.partitions.get(partition) ?? spec?.default ?? fallback
}

/** Resolves a spec to one offset per partition, with as few ListOffsets requests as it takes. */
export async function resolveOffsets(spec: OffsetSpec | undefined, opts: ResolveOptions): Promise<Map<number, ResolvedPosition>> {
  const bounds = opts.bounds ?? (await opts.lookup.bounds(opts.partitions))
  const byTime = new Map<number, number[]>()
  const positions = new Map<number, OffsetPosition>()
  for (const p of opts.partitions) {
    const pos = positionFor(spec, p, opts.fallback)
    positions.set(p, pos)
    const t = pos.kind === 'timestamp' ? pos.timestampMs : pos.kind === 'ago' ? opts.nowMs - pos.durationMs : undefined
    if (t !== undefined) byTime.set(t, [...(byTime.get(t) ?? []), p])
  }
  const timeAnswers = new Map<number, { offset: number | null; timestampMs: number }>()
  for (const [t, parts] of byTime) {
    const found = await opts.lookup.forTimestamp(parts, t)
    for (const p of parts) timeAnswers.set(p, { offset: found.get(p) ?? null, timestampMs: t })
  }
  const out = new Map<number, ResolvedPosition>()
  for (const p of opts.partitions) {
    const b = bounds.get(p)
    if (b === undefined) throw new SluiceError('INTERNAL', `no offsets for partition ${p}`)
    const pos = positions.get(p)!
    switch (pos.kind) {
      case 'earliest':
        out.set(p, { offset: b.start })
        break
      case 'latest':
        out.set(p, { offset: b.end })
        break
      case 'absolute':
        out.set(p, { offset: pos.offset })
        break
      case 'fromEnd':
        out.set(p, { offset: Math.max(b.start, b.end - pos.count) })
        break
      case 'fromStart':
        out.set(p, { offset: Math.min(b.end, b.start + pos.count) })
        break
      default: {
        const a = timeAnswers.get(p)!
        const none = opts.role === 'to' ? Number.POSITIVE_INFINITY : b.end
        out.set(p, { offset: a.offset ?? none, timestampMs: a.timestampMs })
      }
    }
  }
  return out
}

/**
 * A start offset must hold data or be the end: below the log start the records are gone
 * (deleted by retention), past the end they do not exist yet.
 */
export function checkStartOffset(topic: string, partition: number, offset: number, b: PartitionBounds): void {
  if (offset < b.start) {
    throw new SluiceError(
      'OFFSET_OUT_OF_RANGE',
      `${topic}/${partition}: offset ${offset} was deleted by retention; data starts at ${b.start} (use --from earliest)`,
      { exit: 4 },
    )
  }
  if (offset > b.end) {
    throw new SluiceError('OFFSET_OUT_OF_RANGE', `${topic}/${partition}: offset ${offset} is past the end of the partition (${b.end})`, {
      exit: 4,
    })
  }
}

/** What kafkaOffsetLookup needs from a @platformatic/kafka Consumer. */
export interface ListOffsetsClient {
  /** isolationLevel: Kafka's (0 read_uncommitted, the default; 1 read_committed, whose latest is the last stable offset). */
  listOffsets(options: { topics: string[]; partitions?: Record<string, number[]>; timestamp?: bigint; isolationLevel?: number }): Promise<Map<string, bigint[]>>
  /** A forced refresh between retries finds the new leader after an election. */
  metadata?(options: { topics: string[]; forceUpdate?: boolean }): Promise<unknown>
}

/**
 * ListOffsets through a @platformatic/kafka Consumer (earliest -2, latest -1, or a time), at an
 * isolation level (read_committed: `latest` is the last stable offset, the end a read_committed
 * read reaches). A leader
 * that does not answer (crashed, not yet fenced) is retried within RETRY_WINDOW_MS, as the
 * fetch loop does: a read started during a failover waits out the election.
 */
export function kafkaOffsetLookup(client: ListOffsetsClient, topic: string, isolationLevel = 0): OffsetLookup {
  const refresh = client.metadata === undefined ? undefined : () => client.metadata!({ topics: [topic], forceUpdate: true })
  const list = async (partitions: number[], timestamp: bigint): Promise<bigint[]> => {
    const answer = await retryRetriable(() => client.listOffsets({ topics: [topic], partitions: { [topic]: partitions }, timestamp, isolationLevel }), { refresh })
    return answer.get(topic) ?? []
  }
  return {
    async bounds(partitions) {
      const [starts, ends] = await Promise.all([list(partitions, -2n), list(partitions, -1n)])
      return new Map(partitions.map((p) => [p, { start: Number(starts[p] ?? 0n), end: Number(ends[p] ?? 0n) }]))
    },
    async forTimestamp(partitions, timestampMs) {
      const found = await list(partitions, BigInt(timestampMs))
      return new Map(partitions.map((p) => [p, found[p] === undefined || found[p]! < 0n ? null : Number(found[p])]))
    },
  }
}
