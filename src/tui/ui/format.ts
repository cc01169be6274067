/** Small text helpers of the dashboard (fixed-width cells, rates, durations, clock times). */

/** Cut to `width` characters, marking the cut with '…'. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return ''
  if (text.length <= width) return text
  return width === 1 ? '…' : text.slice(0, width - 1) + '…'
}

/** Left-aligned in a cell of `width` (cut if longer). */
export function cell(text: string | number, width: number): string {
  return truncate(String(text), width).padEnd(width)
}

/** Right-aligned in a cell of `width` (cut if longer). */
export function rcell(text: string | number, width: number): string {
  return truncate(String(text), width).padStart(width)
}

/** 0 -> "0", 12.34 -> "12.3", 1234 -> "1.2k", 2_500_000 -> "2.5M"; null -> "-". */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return '-'
  if (perSecond < 10) return perSecond === 0 ? '0' : perSecond.toFixed(1)
  if (perSecond < 1_000) return String(Math.round(perSecond))
  if (perSecond < 1_000_000) return `${(perSecond / 1_000).toFixed(perSecond < 10_000 ? 1 : 0)}k`
  return `${(perSecond / 1_000_000).toFixed(1)}M`
}

/** Offsets and counts: 1234567 -> "1234567" while it fits, else "1.2M". */
export function formatCount(n: number, width: number): string {
  const plain = String(n)
  if (plain.length <= width) return plain
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  return `${(n / 1e3).toFixed(0)}k`
}

/** 850 -> "850 ms", 1234 -> "1.23 s", 75_000 -> "75 s". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 10_000) return `${(ms / 1_000).toFixed(2)} s`
  return `${Math.round(ms / 1_000)} s`
}

const two = (n: number): string => String(n).padStart(2, '0')

/** An ISO time (or epoch ms) as the local wall clock, "14:03:07.120". */
export function formatClock(time: string | number): string {
  const d = new Date(time)
  if (Number.isNaN(d.getTime())) return '??:??:??'
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

/** [1,2,3] -> "1,2,3"; [] -> "-". */
export const idList = (ids: readonly number[]): string => (ids.length === 0 ? '-' : ids.join(','))

/**
 * The active controller, as the header and the brokers pane name it: a broker (combined mode), a
 * dedicated controller (an id no broker has), or none while the controller quorum has no leader.
 */
export function controllerText(controllerId: number, brokerIds: readonly number[]): string {
  if (controllerId < 0) return 'none (no quorum leader)'
  return brokerIds.includes(controllerId) ? `broker ${controllerId}` : `controller ${controllerId}`
}
