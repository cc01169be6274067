/**
 * Text helpers for the terminal views: numbers, rates and durations in a few columns, and text
 * cut to a width. Widths are in terminal cells; the views show JSON and ASCII mostly, so one
 * UTF-16 code unit is taken as one cell except for the wide ranges handled in `cellWidth`.
 */

/** 1234 -> "1,234"; 1234567 -> "1.23M" when `compact`. */
export function formatCount(n: number, compact = false): string {
  if (!Number.isFinite(n)) return '-'
  if (compact) {
    const abs = Math.abs(n)
    if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`
    if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`
    if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`
  }
  return Math.round(n).toLocaleString('en-US')
}

/** Records per second: "0/s", "950/s", "12.3k/s", "1.20M/s". */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec) || perSec < 0) return '-/s'
  if (perSec < 10 && perSec > 0) return `${perSec.toFixed(1)}/s`
  if (perSec < 10_000) return `${Math.round(perSec)}/s`
  if (perSec < 1e6) return `${(perSec / 1e3).toFixed(1)}k/s`
  return `${(perSec / 1e6).toFixed(2)}M/s`
}

/** 950 -> "950ms", 12_300 -> "12.3s", 125_000 -> "2m05s", 7_380_000 -> "2h03m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** Local wall-clock time of day with milliseconds: "14:03:07.123". */
export function formatClock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-'
  const d = new Date(ms)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

/** Control characters (newlines, tabs, escapes) would break a one-line row: shown as spaces. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/** One line of text: control characters replaced by spaces. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, ' ')
}

function cellWidth(code: number): number {
  // CJK, Hangul, fullwidth forms and most emoji take two cells.
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff)
  ) {
    return 2
  }
  return 1
}

/** Display width of `text` in cells. */
export function textWidth(text: string): number {
  let w = 0
  for (const ch of text) w += cellWidth(ch.codePointAt(0)!)
  return w
}

/** `text` cut to at most `width` cells, ending with "…" when it was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return ''
  // Fast path: short ASCII-ish text.
  if (text.length <= width && !/[^\u0000-\u10ff]/.test(text)) return text
  let w = 0
  let out = ''
  for (const ch of text) {
    const cw = cellWidth(ch.codePointAt(0)!)
    if (w + cw > width) {
      // Make room for the ellipsis.
      while (out.length > 0 && w + 1 > width) {
        const last = [...out].pop()!
        out = out.slice(0, out.length - last.length)
        w -= cellWidth(last.codePointAt(0)!)
      }
      return out + '…'
    }
    out += ch
    w += cw
  }
  return out
}

/** `text` cut or padded with spaces to exactly `width` cells. */
export function fit(text: string, width: number): string {
  const cut = truncate(text, width)
  const pad = width - textWidth(cut)
  return pad > 0 ? cut + ' '.repeat(pad) : cut
}
