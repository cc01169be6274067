/**
 * The dashboard's pure model: a bounded history of snapshot samples, the rates computed from it
 * (requests/s per broker, records/s per partition from high-watermark deltas), sparklines,
 * partition health, the event log, selection and the actions the keys ask for. No I/O, no
 * clock: time is the daemon's (`ClusterSnapshot.timeMs`), so everything here is unit-tested.
 */
import { partitionHealth, type PartitionHealth } from '../../cluster/partition-health.js'
import { formatClock, formatDuration } from './format.js'
import type { BrokerState, ClusterSnapshot, FailoverMeasured, SnapshotBroker, SnapshotPartition, UiAction, UiEvent } from './types.js'

/** What one snapshot leaves in the history: the counters rates are computed from. */
export interface Sample {
  timeMs: number
  /** partitionKey -> high watermark (-1 while offline). */
  hwm: Map<string, number>
  /** broker id -> requests answered since the daemon started. */
  requests: Map<number, number>
}

/** How far back the history reaches: the sparklines' 60 s plus a margin for the first bucket. */
export const HISTORY_WINDOW_MS = 65_000
/** A bound on the history whatever the poll rate (at 500 ms polls it holds 130). */
export const HISTORY_SAMPLES_MAX = 400
/** Current rates are averaged over this span: one 500 ms poll alone is too jumpy to read. */
export const RATE_SPAN_MS = 2_000
export const SPARKLINE_WINDOW_MS = 60_000

export const partitionKey = (p: { topic: string; partition: number }): string => `${p.topic}-${p.partition}`

export function sampleOf(snapshot: ClusterSnapshot): Sample {
  return {
    timeMs: snapshot.timeMs,
    hwm: new Map(snapshot.partitions.map((p) => [partitionKey(p), p.highWatermark])),
    requests: new Map(snapshot.brokers.map((b) => [b.id, b.requests])),
  }
}

/**
 * The history with the snapshot's sample appended, oldest dropped beyond the window and the
 * bound. A sample not newer than the last (a poll answered out of order) replaces nothing.
 */
export function pushSample(history: readonly Sample[], snapshot: ClusterSnapshot): Sample[] {
  const last = history.at(-1)
  if (last && snapshot.timeMs <= last.timeMs) return [...history]
  const out = [...history, sampleOf(snapshot)]
  const oldestMs = snapshot.timeMs - HISTORY_WINDOW_MS
  let drop = 0
  while (drop < out.length - 1 && (out[drop]!.timeMs < oldestMs || out.length - drop > HISTORY_SAMPLES_MAX)) drop++
  return out.slice(drop)
}

type Counter = (s: Sample) => number | undefined

/** The last sample at or before `timeMs`, by binary search (samples are in time order). */
function sampleAtOrBefore(history: readonly Sample[], timeMs: number): Sample | undefined {
  let lo = 0
  let hi = history.length - 1
  let found: Sample | undefined
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (history[mid]!.timeMs <= timeMs) {
      found = history[mid]
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

/**
 * Per-second rate of a counter between two samples. A counter that went down (a topic deleted
 * and created again, a log truncated after an unclean election) counts as no progress, not as
 * a negative rate; a counter missing at either end (offline: HWM -1, a new partition) is null.
 */
function rateBetween(from: Sample, to: Sample, counter: Counter): number | null {
  const a = counter(from)
  const b = counter(to)
  if (a === undefined || b === undefined || a < 0 || b < 0) return null
  const dtMs = to.timeMs - from.timeMs
  if (dtMs <= 0) return null
  return (Math.max(0, b - a) * 1_000) / dtMs
}

/** The counter's rate over the last `spanMs` (or what the history has of it); null without two samples. */
export function currentRate(history: readonly Sample[], counter: Counter, spanMs = RATE_SPAN_MS): number | null {
  const last = history.at(-1)
  if (!last || history.length < 2) return null
  const from = sampleAtOrBefore(history, last.timeMs - spanMs) ?? history[0]!
  return from === last ? null : rateBetween(from, last, counter)
}

export const hwmCounter = (key: string): Counter => (s) => s.hwm.get(key)
export const requestsCounter = (brokerId: number): Counter => (s) => s.requests.get(brokerId)

/**
 * The counter's rate in `buckets` equal slices of the last `windowMs`, oldest first. A slice the
 * history does not cover yet is null (drawn blank), so a fresh dashboard fills from the right.
 */
export function rateSeries(history: readonly Sample[], counter: Counter, buckets: number, windowMs = SPARKLINE_WINDOW_MS): Array<number | null> {
  const last = history.at(-1)
  const out: Array<number | null> = []
  if (!last || buckets <= 0) return out
  const sliceMs = windowMs / buckets
  const first = history[0]!
  for (let i = 0; i < buckets; i++) {
    const startMs = last.timeMs - windowMs + i * sliceMs
    const endMs = startMs + sliceMs
    const from = sampleAtOrBefore(history, startMs) ?? (first.timeMs < endMs ? first : undefined)
    const to = sampleAtOrBefore(history, endMs)
    out.push(from && to && to.timeMs > from.timeMs ? rateBetween(from, to, counter) : null)
  }
  return out
}

const BARS = '▁▂▃▄▅▆▇█'

/**
 * One character per value: blank for null, '▁' for zero, up to '█' at `max` (a shared scale so
 * partitions compare; pass the row's own max to see its shape).
 */
export function sparkline(values: ReadonlyArray<number | null>, max: number): string {
  return values
    .map((v) => {
      if (v === null) return ' '
      if (max <= 0 || v <= 0) return BARS[0]
      const level = Math.ceil((Math.min(v, max) / max) * (BARS.length - 1))
      return BARS[Math.max(1, level)]
    })
    .join('')
}

// One definition of a partition's health for the dashboard and `sluice cluster status`.
export { downBrokers, partitionHealth, type PartitionHealth } from '../../cluster/partition-health.js'

/** The text marker that makes a partition's health visible without colour (a plain capture). */
export const HEALTH_MARK: Record<PartitionHealth, string> = {
  ok: '',
  moving: 'MOVING',
  'under-replicated': 'UNDER-REPLICATED',
  'replica-stuck': 'REPLICA STUCK',
  'leader-down': 'LEADER DOWN',
  offline: 'OFFLINE',
}

/**
 * A partition being reassigned, in words: `MOVING +4 45%` (the replicas being added, and how far
 * the slowest of them has copied the leader's log, by offsets), `MOVING -2` while only the removal
 * is left. `wide`: with the replicas named.
 */
export function movingMark(p: SnapshotPartition, wide: boolean): string {
  const adding = p.addingReplicas.filter((id) => !p.isr.includes(id))
  if (adding.length === 0) return wide ? `MOVING -${p.removingReplicas.join(',')}` : 'MOVING'
  const copied = adding.map((id) => p.replicaLogEndOffsets[String(id)] ?? 0)
  const percent = p.logEndOffset > 0 ? Math.min(99, Math.floor((Math.min(...copied) / p.logEndOffset) * 100)) : 0
  return wide ? `MOVING +${adding.join(',')} ${percent}%` : `MOVING ${percent}%`
}

/** A row of the partitions pane: a partition, or the fold that stands for the internal topics. */
export type PartitionRow =
  | { kind: 'partition'; key: string; partition: SnapshotPartition }
  | { kind: 'internal-fold'; key: string; topics: number; partitions: number; offline: number; underReplicated: number }

export const INTERNAL_FOLD_KEY = '\0internal'

/**
 * The partitions in topic then partition order; internal topics (`__consumer_offsets`) come last,
 * folded into one row unless shown. Offline and under-replicated internal partitions are counted
 * on the fold, so a hidden problem still shows.
 */
export function partitionRows(partitions: readonly SnapshotPartition[], showInternal: boolean): PartitionRow[] {
  const sorted = [...partitions].sort((a, b) => Number(a.internal) - Number(b.internal) || a.topic.localeCompare(b.topic) || a.partition - b.partition)
  const rows: PartitionRow[] = []
  const internal = sorted.filter((p) => p.internal)
  for (const p of sorted) if (!p.internal || showInternal) rows.push({ kind: 'partition', key: partitionKey(p), partition: p })
  if (!showInternal && internal.length > 0) {
    rows.push({
      kind: 'internal-fold',
      key: INTERNAL_FOLD_KEY,
      topics: new Set(internal.map((p) => p.topic)).size,
      partitions: internal.length,
      offline: internal.filter((p) => partitionHealth(p) === 'offline').length,
      underReplicated: internal.filter((p) => partitionHealth(p) === 'under-replicated').length,
    })
  }
  return rows
}

/**
 * The key `delta` rows away from `current` in `keys`, clamped at both ends. A selection that
 * vanished (a deleted topic) or none yet falls back to the first row.
 */
export function moveSelection(keys: readonly string[], current: string | undefined, delta: number): string | undefined {
  if (keys.length === 0) return undefined
  const at = current === undefined ? -1 : keys.indexOf(current)
  if (at < 0) return keys[0]
  return keys[Math.min(keys.length - 1, Math.max(0, at + delta))]
}

/** The first row to draw so that the selected row is inside a window of `rows` rows. */
export function scrollStart(count: number, selectedIndex: number, rows: number): number {
  if (rows <= 0 || count <= rows) return 0
  const sel = Math.max(0, selectedIndex)
  return Math.min(count - rows, Math.max(0, sel - Math.floor(rows / 2)))
}

/** What a broker key asks for on this broker: an action to confirm, or why there is none. */
export function brokerAction(key: 'k' | 's' | 'p', broker: Pick<SnapshotBroker, 'id' | 'state'>): UiAction | { refused: string } {
  const { id, state } = broker
  const already = (what: BrokerState | string): { refused: string } => ({ refused: `broker ${id} is ${what}` })
  // An offline log dir comes back by itself once the disk has room: no kill, start or pause.
  if (state === 'offline') return { refused: `broker ${id}'s log dir is offline: it rejoins by itself once its disk has room` }
  switch (key) {
    case 'k':
      return state === 'killed' ? already('already killed') : { kind: 'kill', broker: id }
    case 's':
      return state === 'up' ? already('up') : state === 'paused' ? { kind: 'resume', broker: id } : { kind: 'start', broker: id }
    case 'p':
      if (state === 'paused') return { kind: 'resume', broker: id }
      if (state === 'killed') return { refused: `broker ${id} is killed: start it with s` }
      return { kind: 'pause', broker: id }
  }
}

export function failoverAction(p: Pick<SnapshotPartition, 'topic' | 'partition' | 'leader'>): UiAction | { refused: string } {
  if (p.leader < 0) return { refused: `${partitionKey(p)} has no leader to move` }
  return { kind: 'failover', topic: p.topic, partition: p.partition }
}

/** The confirmation question for an action. */
export function confirmText(action: UiAction): string {
  switch (action.kind) {
    case 'kill':
      return `Kill broker ${action.broker} (a crash: its partitions lose their leader until the session timeout)?`
    case 'start':
      return `Start broker ${action.broker}?`
    case 'pause':
      return `Pause broker ${action.broker} (it hangs: connections stay open, nothing is answered)?`
    case 'resume':
      return `Resume broker ${action.broker}?`
    case 'failover':
      return `Fail over ${action.topic}-${action.partition} (move its leadership to another in-sync replica)?`
  }
}

/** "kill broker 2", for the footer while the action runs. */
export function actionLabel(action: UiAction): string {
  return action.kind === 'failover' ? `failover ${action.topic}-${action.partition}` : `${action.kind} broker ${action.broker}`
}

/** Event types left out of the log: one per producer start, they would push the elections out. */
const QUIET_EVENTS = new Set(['producer-ids.allocated'])

export const EVENTS_MAX = 200

/** Metadata events carry their log offset, runtime events a sequence number. */
const eventId = (e: UiEvent): string => `${e.timestamp}|${e.type}|${String(e.offset ?? '')}|${String(e.seq ?? '')}|${e.message}`

/**
 * The event log with `incoming` merged in: deduplicated (history and the live stream overlap),
 * oldest first by timestamp (a stable sort keeps one record's events in order), the newest
 * EVENTS_MAX kept.
 */
export function mergeEvents(log: readonly UiEvent[], incoming: readonly UiEvent[]): UiEvent[] {
  const seen = new Set(log.map(eventId))
  const added = incoming.filter((e) => {
    if (QUIET_EVENTS.has(e.type)) return false
    const id = eventId(e)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
  if (added.length === 0) return [...log]
  const merged = [...log, ...added].map((e, i) => ({ e, i, t: Date.parse(e.timestamp) }))
  merged.sort((a, b) => a.t - b.t || a.i - b.i)
  return merged.slice(-EVENTS_MAX).map((m) => m.e)
}

/**
 * The events the log shows: with the internal topics folded, their events (a broker loss moves
 * every `__consumer_offsets` partition it led) are left out too, and counted.
 */
export function visibleEvents(events: readonly UiEvent[], partitions: readonly SnapshotPartition[], showInternal: boolean): { events: UiEvent[]; hidden: number } {
  if (showInternal) return { events: foldIdleFailovers(events), hidden: 0 }
  const internal = new Set(partitions.filter((p) => p.internal).map((p) => p.topic))
  const isInternal = (e: UiEvent): boolean => typeof e.topic === 'string' && (internal.has(e.topic) || e.topic.startsWith('__'))
  const shown = events.filter((e) => !isInternal(e))
  return { events: foldIdleFailovers(shown), hidden: events.length - shown.length }
}

/** A `failover.measured` event of a partition no producer was writing to. */
const isIdleFailover = (e: UiEvent): boolean => e.type === 'failover.measured' && e.unwritableMs === null && e.lastWriteAt === null

/**
 * One line for the idle partitions of one failover (same lost leader, same election) instead of
 * one "no producer was writing" line each: a broker loss moves every partition it led, and those
 * lines would push the elections out of the log. It stands where the first of them stood.
 */
export function foldIdleFailovers(events: readonly UiEvent[]): UiEvent[] {
  const groups = new Map<string, UiEvent[]>()
  for (const e of events) {
    if (!isIdleFailover(e)) continue
    const key = `${String(e.from)}|${String(e.electedAt)}`
    const list = groups.get(key)
    if (list) list.push(e)
    else groups.set(key, [e])
  }
  const out: UiEvent[] = []
  for (const e of events) {
    if (!isIdleFailover(e)) {
      out.push(e)
      continue
    }
    const group = groups.get(`${String(e.from)}|${String(e.electedAt)}`)!
    if (group.length === 1) out.push(e)
    else if (group[0] === e) {
      const noLeaderMs = Math.max(...group.map((g) => Number(g.noLeaderMs ?? 0)))
      const names = group.map((g) => `${String(g.topic)}-${String(g.partition)}`).join(', ')
      out.push({ ...e, message: `failover of ${group.length} partitions (leader ${String(e.from)} lost): no leader for up to ${formatDuration(noLeaderMs)}, no producer was writing: ${names}` })
    }
  }
  return out
}

/** The last failover as one line: where, when, how long without a leader and without writes. */
export function failoverLine(f: FailoverMeasured): string {
  const to = f.to < 0 ? 'none' : String(f.to)
  const writes = f.unwritableMs === null ? 'no producer was writing' : `no writes for ${formatDuration(f.unwritableMs)}`
  return `${f.topic}-${f.partition} leader ${f.from} -> ${to} (epoch ${f.leaderEpoch}) at ${formatClock(f.electedAt)}: no leader for ${formatDuration(f.noLeaderMs)}, ${writes}`
}

/** The last failover: the snapshot's, or a newer `failover.measured` event from the stream. */
export function lastFailover(snapshot: ClusterSnapshot | undefined, events: readonly UiEvent[]): FailoverMeasured | null {
  let best = snapshot?.lastFailover ?? null
  for (const e of events) {
    if (e.type !== 'failover.measured') continue
    const f = e as unknown as FailoverMeasured
    if (best === null || Date.parse(f.electedAt) > Date.parse(best.electedAt)) best = f
  }
  return best
}
