/**
 * The text of the tail screen, as pure functions of the data and the width: the header lines,
 * the column widths and rows of the record list, the detail lines. The components only colour
 * and place them.
 */
import { fit, formatClock, formatCount, formatRate, oneLine, truncate } from '../shared/format.js'
import { keyText, valueText, type TailRecord } from './record.js'
import type { TailSnapshot } from './store.js'

export interface Columns {
  partition: number
  offset: number
  time: number
  key: number
  value: number
}

const TIME_WIDTH = 12 // 14:03:07.123
const KEY_WIDTH_MAX = 24
const GAP = 2
/** A gutter that marks the selected row, so the selection shows without colours too. */
const MARK_WIDTH = 2
const MARK = '› '
const NO_MARK = '  '

/** Column widths for these rows at this terminal width: the value takes what is left. */
export function columnsFor(rows: readonly TailRecord[], width: number, binary = false): Columns {
  let partition = 1
  let offset = 'offset'.length
  let key = 'key'.length
  for (const r of rows) {
    partition = Math.max(partition, String(r.partition).length)
    offset = Math.max(offset, String(r.offset).length)
    key = Math.max(key, Math.min(KEY_WIDTH_MAX, oneLine(keyText(r, binary)).length))
  }
  const used = MARK_WIDTH + partition + offset + TIME_WIDTH + key + 4 * GAP
  return { partition, offset, time: TIME_WIDTH, key, value: Math.max(5, width - used) }
}

const gap = ' '.repeat(GAP)

export function headingRow(c: Columns): string {
  return NO_MARK + ['p'.padStart(c.partition), 'offset'.padStart(c.offset), fit('time', c.time), fit('key', c.key), 'value'].join(gap)
}

/** One record on one line: partition, offset, time, key, value cut to the width. */
export function recordRow(r: TailRecord, c: Columns, binary = false, selected = false): string {
  return (selected ? MARK : NO_MARK) + [
    String(r.partition).padStart(c.partition),
    String(r.offset).padStart(c.offset),
    fit(formatClock(r.timestamp), c.time),
    fit(oneLine(keyText(r, binary)), c.key),
    truncate(oneLine(valueText(r, binary)), c.value),
  ].join(gap)
}

export type FollowState = 'connecting' | 'following' | 'paused' | 'ended'

/** The header's first line: topic, state, totals, overall rate, filter. */
export function summaryLine(topic: string, s: TailSnapshot, state: FollowState, width: number): string {
  const parts = [`sluice tail ${topic}`, state, `${formatCount(s.records)} records`, formatRate(s.ratePerSec)]
  // The count before the expression: a long expression is what gets cut.
  if (s.filter !== undefined) parts.push(`${formatCount(s.matched)} matched`, `filter: ${oneLine(s.filter)}`)
  return truncate(parts.join('  ·  '), width)
}

/** The header's second line: records/s and records per partition. */
export function partitionsLine(s: TailSnapshot, width: number): string {
  if (s.partitions.length === 0) return truncate('partitions: waiting for the first records', width)
  const parts = s.partitions.map((p) => `p${p.partition} ${formatRate(p.ratePerSec)} (${formatCount(p.records, true)})`)
  return truncate(parts.join('  '), width)
}

/** The detail's lines, each cut to the width (JSON lines are rarely wider than a terminal). */
export function detailLines(json: string, width: number): string[] {
  return json.split('\n').map((l) => truncate(l, width))
}

export const KEYS_FOLLOWING = 'space pause · ↑↓ select · enter open · / filter · q quit'
export const KEYS_FROZEN = 'space follow · ↑↓ select · enter open · / filter · q quit'
export const KEYS_DETAIL = '↑↓ scroll · esc/enter/q close'
export const KEYS_PROMPT = 'enter apply (empty: clear) · esc cancel'
