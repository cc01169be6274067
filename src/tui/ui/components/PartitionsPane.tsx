/**
 * The partitions: leader, epoch, replicas, ISR, HWM and LEO, records/s and a 60 s sparkline.
 * Offline and under-replicated partitions are coloured AND marked in words, so a plain capture
 * shows them, as are partitions being moved (a reassignment: MOVING, the replicas being added and
 * how far they copied); internal topics fold into one row unless shown.
 */
import { Box, Text } from 'ink'
import { cell, formatCount, formatRate, idList, rcell } from '../format.js'
import { HEALTH_MARK, movingMark, partitionHealth, type PartitionHealth, type PartitionRow } from '../model.js'
import { PaneTitle } from './PaneTitle.js'

export interface PartitionLine {
  row: PartitionRow
  /** Records/s from HWM deltas; null until two snapshots (or offline). */
  recordsPerSec: number | null
  /** The sparkline, already drawn to the layout's width ('' when there is no room). */
  spark: string
}

export interface PartitionsPaneProps {
  /** The rows on screen (already scrolled to the selection). */
  lines: PartitionLine[]
  /** Set when not every row fits: which rows are shown, 1-based. */
  scroll?: { from: number; to: number; of: number }
  selectedKey: string | undefined
  focused: boolean
  width: number
  showInternal: boolean
  counts: { total: number; offline: number; underReplicated: number; leaderDown?: number; stuck?: number }
  /** Killed or paused brokers: partitions they lead are marked LEADER DOWN. */
  down?: ReadonlySet<number>
}

const HEALTH_COLOR: Record<PartitionHealth, string | undefined> = { ok: undefined, moving: 'cyan', 'under-replicated': 'yellow', 'replica-stuck': 'red', 'leader-down': 'red', offline: 'red' }

/** Column widths for a terminal width: narrow terminals lose the epoch and LEO columns first. */
export function partitionColumns(width: number, longestName: number): { name: number; wide: boolean; spark: number; mark: number } {
  const wide = width >= 110
  const name = Math.min(wide ? 28 : width >= 95 ? 20 : 14, Math.max(12, longestName))
  const mark = wide ? 16 : 10
  // sel 2, leader 6, [epoch 5], replicas 8, isr 8, hwm 10, [leo 10], rate 7, separating spaces.
  const fixed = 2 + name + 6 + 8 + 8 + 10 + 7 + mark + (wide ? 5 + 10 + 11 : 9)
  const spark = Math.max(0, Math.min(40, width - fixed - 1))
  return { name, wide, spark: spark >= 5 ? spark : 0, mark }
}

function shortMark(h: PartitionHealth, wide: boolean): string {
  if (wide || h !== 'under-replicated') return HEALTH_MARK[h]
  return 'UNDER-REPL'
}

export function PartitionsPane(props: PartitionsPaneProps): React.JSX.Element {
  const { lines, scroll, selectedKey, focused, width, showInternal, counts, down } = props
  const longest = Math.max(0, ...lines.map((l) => (l.row.kind === 'partition' ? l.row.key.length : 0)))
  const cols = partitionColumns(width, longest)
  const join = (cells: Array<string | false>): string => cells.filter((c): c is string => c !== false).join(' ')
  const header = join([
    '  ',
    cell('PARTITION', cols.name),
    rcell('LEADER', 6),
    cols.wide && rcell('EPOCH', 5),
    cell('REPLICAS', 8),
    cell('ISR', 8),
    rcell('HWM', 10),
    cols.wide && rcell('LEO', 10),
    rcell('REC/S', 7),
    cols.spark > 0 && cell(cols.spark >= 9 ? 'LAST 60 s' : '60 s', cols.spark),
    cell('HEALTH', cols.mark),
  ])
  const problems = [counts.offline > 0 ? `${counts.offline} OFFLINE` : '', (counts.leaderDown ?? 0) > 0 ? `${counts.leaderDown} LEADER DOWN` : '', (counts.stuck ?? 0) > 0 ? `${counts.stuck} REPLICA STUCK` : '', counts.underReplicated > 0 ? `${counts.underReplicated} UNDER-REPLICATED` : '']
    .filter((s) => s !== '')
    .join(', ')
  const note = `${counts.total} partitions${problems ? `: ${problems}` : ''}  (i: ${showInternal ? 'hide' : 'show'} internal topics)`
  return (
    <Box flexDirection="column" width={width}>
      <PaneTitle title="Partitions" focused={focused} note={note} />
      <Text dimColor wrap="truncate">
        {header}
      </Text>
      {lines.length === 0 ? <Text dimColor>  no topics yet</Text> : null}
      {lines.map(({ row, recordsPerSec, spark }) => {
        const selected = row.key === selectedKey
        const sel = selected ? '> ' : '  '
        if (row.kind === 'internal-fold') {
          const bad = [row.offline > 0 ? `${row.offline} OFFLINE` : '', row.underReplicated > 0 ? `${row.underReplicated} UNDER-REPLICATED` : ''].filter((s) => s !== '').join(', ')
          return (
            <Text key={row.key} wrap="truncate" dimColor={bad === ''} color={row.offline > 0 ? 'red' : bad ? 'yellow' : undefined} inverse={selected && focused}>
              {`${sel}+ ${row.partitions} internal partitions (${row.topics} topic${row.topics === 1 ? '' : 's'}, e.g. __consumer_offsets) folded: i shows them${bad ? `; ${bad}` : ''}`}
            </Text>
          )
        }
        const p = row.partition
        const health = partitionHealth(p, down)
        const offline = health === 'offline'
        const text = join([
          sel,
          cell(row.key, cols.name),
          rcell(offline ? 'none' : p.leader, 6),
          cols.wide && rcell(p.leaderEpoch, 5),
          cell(idList(p.replicas), 8),
          cell(idList(p.isr), 8),
          rcell(p.highWatermark < 0 ? '-' : formatCount(p.highWatermark, 10), 10),
          cols.wide && rcell(p.logEndOffset < 0 ? '-' : formatCount(p.logEndOffset, 10), 10),
          rcell(formatRate(recordsPerSec), 7),
          cols.spark > 0 && cell(spark, cols.spark),
          cell(health === 'moving' ? movingMark(p, cols.wide) : shortMark(health, cols.wide), cols.mark),
        ])
        return (
          <Text key={row.key} wrap="truncate" color={HEALTH_COLOR[health]} bold={health !== 'ok' && health !== 'moving'} inverse={selected && focused}>
            {text}
          </Text>
        )
      })}
      {scroll ? <Text dimColor wrap="truncate">{`  rows ${scroll.from}-${scroll.to} of ${scroll.of} (tab here, then arrows, to scroll)`}</Text> : null}
    </Box>
  )
}
