/**
 * Plain aligned text tables and small formatters for human output (never for --json).
 */

/**
 * Left-aligned columns separated by two spaces; the header row is upper-cased, unless
 * `keepHeaderCase` (a table that shows a Kafka tool's output keeps its headers: `LogEndOffset`).
 */
export function formatTable(headers: string[], rows: Array<Array<string | number>>, opts: { keepHeaderCase?: boolean } = {}): string {
  const cells = [opts.keepHeaderCase ? headers : headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** Key/value lines with the keys padded to one width. */
export function formatFields(fields: Array<[string, string | number]>): string {
  const width = Math.max(...fields.map(([k]) => k.length))
  return fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}

/** 3723000 -> "1h 2m 3s"; under a minute shows seconds only. */
export function formatDurationMs(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000))
  const d = Math.floor(s / 86400)
  s -= d * 86400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter((p) => p !== '')
  return parts.slice(0, 3).join(' ')
}
