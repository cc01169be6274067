/**
 * The dashboard's keys as a pure step: (state, key, data) -> (state, effect). Keys are applied
 * one after the other on the latest state, so keys typed faster than a frame (tmux send-keys, a
 * paste) act on what the previous key selected, not on what was last drawn.
 */
import { actionLabel, brokerAction, failoverAction, moveSelection, partitionRows } from './model.js'
import type { ActionStatus } from './components/Footer.js'
import type { SnapshotBroker, SnapshotPartition, UiAction } from './types.js'

export type Focus = 'brokers' | 'partitions'

export interface UiState {
  focus: Focus
  /** The selected broker id; undefined: the first. */
  brokerId: number | undefined
  /** The selected partition row's key; undefined: the first. */
  partitionKey: string | undefined
  showInternal: boolean
  /** An action waiting for y/n. */
  pending: UiAction | null
  status: ActionStatus
}

export const initialUiState: UiState = { focus: 'brokers', brokerId: undefined, partitionKey: undefined, showInternal: false, pending: null, status: { kind: 'idle' } }

/** The fields of Ink's `Key` this uses. */
export interface KeyPress {
  tab?: boolean
  upArrow?: boolean
  downArrow?: boolean
  leftArrow?: boolean
  rightArrow?: boolean
  pageUp?: boolean
  pageDown?: boolean
  return?: boolean
  escape?: boolean
  ctrl?: boolean
}

export interface UiData {
  brokers: readonly SnapshotBroker[]
  partitions: readonly SnapshotPartition[]
}

export type Effect = { exit: number } | { run: UiAction } | undefined

/** The brokers in id order and the partition rows as drawn, with the selection resolved. */
export function resolveSelection(state: UiState, data: UiData) {
  const brokers = [...data.brokers].sort((a, b) => a.id - b.id)
  const rows = partitionRows(data.partitions, state.showInternal)
  const broker = brokers.find((b) => b.id === state.brokerId) ?? brokers[0]
  const row = rows.find((r) => r.key === state.partitionKey) ?? rows[0]
  return { brokers, rows, broker, row }
}

export function handleKey(state: UiState, input: string, key: KeyPress, data: UiData): { state: UiState; effect?: Effect } {
  if (key.ctrl && input === 'c') return { state, effect: { exit: 130 } }
  const pending = state.pending
  if (pending !== null) {
    if (input === 'y' || input === 'Y' || key.return) {
      return { state: { ...state, pending: null, status: { kind: 'running', text: actionLabel(pending) } }, effect: { run: pending } }
    }
    if (input === 'n' || input === 'N' || key.escape || input === 'q') {
      return { state: { ...state, pending: null, status: { kind: 'refused', text: `cancelled: ${actionLabel(pending)}` } } }
    }
    return { state }
  }
  const refuse = (text: string): { state: UiState } => ({ state: { ...state, status: { kind: 'refused', text } } })
  const ask = (choice: UiAction | { refused: string }): { state: UiState } => ('refused' in choice ? refuse(choice.refused) : { state: { ...state, pending: choice } })
  const sel = resolveSelection(state, data)
  if (input === 'q') return { state, effect: { exit: 0 } }
  if (key.tab || key.leftArrow || key.rightArrow) return { state: { ...state, focus: state.focus === 'brokers' ? 'partitions' : 'brokers' } }
  if (key.upArrow || key.downArrow || key.pageUp || key.pageDown) {
    const delta = key.upArrow ? -1 : key.downArrow ? 1 : key.pageUp ? -10 : 10
    if (state.focus === 'brokers') {
      const next = moveSelection(sel.brokers.map((b) => String(b.id)), sel.broker && String(sel.broker.id), delta)
      return { state: { ...state, brokerId: next === undefined ? undefined : Number(next) } }
    }
    return { state: { ...state, partitionKey: moveSelection(sel.rows.map((r) => r.key), sel.row?.key, delta) } }
  }
  if (input === 'i') return { state: { ...state, showInternal: !state.showInternal } }
  if (input === 'k' || input === 's' || input === 'p') {
    if (!sel.broker) return refuse('no broker to act on')
    return ask(brokerAction(input, sel.broker))
  }
  if (input === 'f') {
    if (!sel.row || sel.row.kind !== 'partition') return refuse('select a partition first (tab, then arrows)')
    return ask(failoverAction(sel.row.partition))
  }
  return { state }
}
