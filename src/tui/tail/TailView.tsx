/**
 * The `sluice tail` screen. It draws from the store on a timer (every `tickMs`), never per
 * record: at 50,000 records/s the fetch loop only counts and copies, and the screen is redrawn a
 * few times a second from a snapshot.
 *
 *   header   topic · following|paused · records seen · records/s · filter (matched)
 *            per partition: records/s and records seen
 *   list     partition, offset, time, key, value (cut to the width); newest at the bottom
 *   message  the filter prompt, or the last error / note
 *   footer   the keys
 *
 * Pausing (space) or selecting (arrows) freezes the list: it keeps the records it had (up to
 * the store's capacity, to scroll through) while the header keeps counting.
 */
import { Box, Text, useInput } from 'ink'
import { useCallback, useRef, useState, type ReactElement } from 'react'
import type { RecordFilter } from '../../client/replay/filter.js'
import { useInterval } from '../shared/use-interval.js'
import { useTerminalSize, type TerminalSize } from '../shared/use-terminal-size.js'
import { truncate } from '../shared/format.js'
import { INITIAL_VIEW_STATE, onKey, type ViewState } from './keys.js'
import {
  columnsFor,
  headingRow,
  KEYS_DETAIL,
  KEYS_FOLLOWING,
  KEYS_FROZEN,
  KEYS_PROMPT,
  partitionsLine,
  recordRow,
  summaryLine,
  type FollowState,
} from './layout.js'
import type { TailRecord } from './record.js'
import type { TailSnapshot, TailStore } from './store.js'

export interface TailViewProps {
  store: TailStore
  /** Compiles a filter expression; throws (with the message to show) when it does not parse. */
  compile: (expr: string) => RecordFilter
  /** Where the fetch loop is: 'connecting' until the first fetch, 'ended' when it stopped. */
  status?: 'connecting' | 'reading' | 'ended'
  /** A failure or note from the fetch loop, shown in the message line. */
  notice?: string
  binary?: boolean
  tickMs?: number
  /** Overrides the terminal's size (tests). */
  size?: TerminalSize
  /** q: 0; Ctrl-C: 130. */
  onExit(code: number): void
  nowMs?: () => number
}

/** Lines that are not list rows: 2 header + column heading + message + footer, and one spare line
 * (Ink clears the whole screen on every frame when the output is as tall as the terminal). */
const CHROME_LINES = 6

function sameSnapshot(a: TailSnapshot, b: TailSnapshot): boolean {
  if (a.version !== b.version || a.ratePerSec !== b.ratePerSec || a.partitions.length !== b.partitions.length) return false
  return a.partitions.every((p, i) => p.ratePerSec === b.partitions[i]!.ratePerSec && p.records === b.partitions[i]!.records)
}

export function TailView(props: TailViewProps): ReactElement {
  const { store, binary = false, tickMs = 150 } = props
  const now = props.nowMs ?? Date.now
  const terminal = useTerminalSize()
  const { columns: width, rows: height } = props.size ?? terminal
  const listRows = Math.max(1, height - CHROME_LINES)

  const [snap, setSnap] = useState<TailSnapshot>(() => store.snapshot(now()))
  const [live, setLive] = useState<TailRecord[]>(() => store.window(listRows))
  // The key machine's state lives in a ref (each key applies to the latest state, also when
  // several keys arrive in one read) and is mirrored into React state to render.
  const machine = useRef<ViewState>(INITIAL_VIEW_STATE)
  const [view, setView] = useState<ViewState>(INITIAL_VIEW_STATE)

  // A redraw costs a React render and an Ink layout (about 10 ms): when nothing changed (no new
  // record, the same rates, as when the topic is idle) the tick keeps the old state and skips it.
  const liveVersion = useRef(-1)
  const tick = useCallback(() => {
    const next = store.snapshot(now())
    setSnap((prev) => (sameSnapshot(prev, next) ? prev : next))
    if (machine.current.frozen === null && liveVersion.current !== next.version) {
      liveVersion.current = next.version
      setLive(store.window(listRows))
    }
  }, [store, listRows, now])
  useInterval(tick, tickMs)

  useInput((input, key) => {
    const before = machine.current
    const { state, exit } = onKey(before, input, key, { store, compile: props.compile, listRows, width, binary })
    machine.current = state
    if (exit !== undefined) {
      props.onExit(exit)
      return
    }
    if (state === before) return
    setView(state)
    if (state.frozen === null) {
      liveVersion.current = store.version
      setLive(store.window(listRows))
    }
    if (store.activeFilter !== snap.filter) setSnap(store.snapshot(now()))
  })

  const { frozen, detail, prompt, message } = view
  const state: FollowState = props.status === 'connecting' ? 'connecting' : props.status === 'ended' ? 'ended' : frozen !== null ? 'paused' : 'following'
  const shown = frozen === null ? live.slice(-listRows) : frozen.records.slice(frozen.top, frozen.top + listRows)
  const cols = columnsFor(shown, width, binary)
  const rows: ReactElement[] = []
  if (detail !== null) {
    const lines = detail.lines.slice(detail.top, detail.top + listRows)
    lines.forEach((l, i) => rows.push(<Text key={i}>{l}</Text>))
    if (detail.top + listRows < detail.lines.length) rows[rows.length - 1] = <Text key="more" dimColor>{truncate(`… ${detail.lines.length - detail.top - listRows + 1} more line(s): ↓`, width)}</Text>
  } else {
    // Newest at the bottom: blank rows above while the list is short.
    for (let i = shown.length; i < listRows; i++) rows.push(<Text key={`blank-${i}`}> </Text>)
    shown.forEach((r, i) => {
      const isSelected = frozen !== null && frozen.selected === frozen.top + i
      rows.push(
        <Text key={`${r.partition}:${r.offset}`} inverse={isSelected}>
          {recordRow(r, cols, binary, isSelected)}
        </Text>,
      )
    })
  }
  const notice = message ?? (props.notice === undefined ? null : { text: props.notice, error: true })
  return (
    <Box flexDirection="column">
      <Text bold>{summaryLine(store.topic, snap, state, width)}</Text>
      <Text dimColor>{partitionsLine(snap, width)}</Text>
      <Text underline>{truncate(detail === null ? headingRow(cols) : 'record', width)}</Text>
      {rows}
      {prompt !== null ? (
        <Text>
          {truncate(`filter> ${prompt}`, width - 1)}
          <Text inverse> </Text>
        </Text>
      ) : (
        <Text color={notice?.error ? 'red' : undefined}>{notice === null ? ' ' : truncate(notice.text, width)}</Text>
      )}
      <Text dimColor>
        {truncate(prompt !== null ? (notice?.error ? `${notice.text}  ·  ${KEYS_PROMPT}` : KEYS_PROMPT) : detail !== null ? KEYS_DETAIL : frozen !== null ? KEYS_FROZEN : KEYS_FOLLOWING, width)}
      </Text>
    </Box>
  )
}
