/**
 * What each key does to the tail view: a pure step from one view state to the next (plus, for
 * q and Ctrl-C, an exit code). Keys that arrive together (a paste, `/` and an expression typed
 * fast, two arrows in one read) are applied one after the other to the latest state, never to
 * a stale copy held by a render.
 */
import type { RecordFilter } from '../../client/replay/filter.js'
import { detailLines } from './layout.js'
import { detailJson, type TailRecord } from './record.js'
import type { TailStore } from './store.js'

export interface Frozen {
  /** The matching records when the list froze (oldest first), to scroll through. */
  records: TailRecord[]
  /** Index of the selected record; null when paused without a selection (the newest show). */
  selected: number | null
  /** Index of the first row shown. */
  top: number
}

export interface ViewState {
  /** null: following (the list shows the newest records at each tick). */
  frozen: Frozen | null
  detail: { lines: string[]; top: number } | null
  /** The filter prompt's text while it is open. */
  prompt: string | null
  message: { text: string; error: boolean } | null
}

export const INITIAL_VIEW_STATE: ViewState = { frozen: null, detail: null, prompt: null, message: null }

/** The keys of Ink's useInput that matter here. */
export interface KeyPress {
  upArrow?: boolean
  downArrow?: boolean
  pageUp?: boolean
  pageDown?: boolean
  return?: boolean
  escape?: boolean
  ctrl?: boolean
  meta?: boolean
  backspace?: boolean
  delete?: boolean
}

export interface KeyContext {
  store: TailStore
  compile: (expr: string) => RecordFilter
  listRows: number
  width: number
  binary: boolean
}

export interface KeyResult {
  state: ViewState
  /** Set when the view should close with this exit code. */
  exit?: number
}

function freeze(ctx: KeyContext): Frozen {
  const records = ctx.store.window(ctx.store.capacity)
  return { records, selected: null, top: Math.max(0, records.length - ctx.listRows) }
}

/** Moves the selection by `delta` (from the newest when nothing is selected), keeping it on screen. */
function select(f: Frozen, delta: number, listRows: number): Frozen {
  if (f.records.length === 0) return f
  const from = f.selected ?? f.records.length - 1
  const selected = Math.min(f.records.length - 1, Math.max(0, f.selected === null ? from : from + delta))
  let top = f.top
  if (selected < top) top = selected
  if (selected >= top + listRows) top = selected - listRows + 1
  return { ...f, selected, top }
}

function applyFilter(state: ViewState, text: string, ctx: KeyContext): ViewState {
  const expr = text.trim()
  let message: ViewState['message']
  if (expr === '') {
    ctx.store.setFilter(undefined)
    message = { text: 'filter cleared', error: false }
  } else {
    let test: RecordFilter
    try {
      test = ctx.compile(expr)
    } catch (err) {
      // The old filter stays; the prompt stays open with the text to fix.
      return { ...state, message: { text: err instanceof Error ? err.message : String(err), error: true } }
    }
    ctx.store.setFilter({ expr, test })
    message = null
  }
  // A frozen list is frozen again from the newly filtered records.
  return { ...state, prompt: null, message, frozen: state.frozen === null ? null : freeze(ctx) }
}

export function onKey(state: ViewState, input: string, key: KeyPress, ctx: KeyContext): KeyResult {
  if (key.ctrl && input === 'c') return { state, exit: 130 }
  if (state.prompt !== null) {
    const prompt = state.prompt
    if (key.escape) return { state: { ...state, prompt: null, message: null } }
    if (key.return) return { state: applyFilter(state, prompt, ctx) }
    if (key.backspace || key.delete) return { state: { ...state, prompt: prompt.slice(0, -1) } }
    if (key.ctrl && input === 'u') return { state: { ...state, prompt: '' } }
    if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.pageUp || key.pageDown || input === '') return { state }
    return { state: { ...state, prompt: prompt + input.replace(/[\r\n]/g, '') } }
  }
  if (state.detail !== null) {
    const d = state.detail
    if (key.escape || key.return || input === 'q') return { state: { ...state, detail: null } }
    const last = Math.max(0, d.lines.length - ctx.listRows)
    if (key.upArrow) return { state: { ...state, detail: { ...d, top: Math.max(0, d.top - 1) } } }
    if (key.downArrow) return { state: { ...state, detail: { ...d, top: Math.min(last, d.top + 1) } } }
    if (key.pageUp) return { state: { ...state, detail: { ...d, top: Math.max(0, d.top - ctx.listRows) } } }
    if (key.pageDown) return { state: { ...state, detail: { ...d, top: Math.min(last, d.top + ctx.listRows) } } }
    return { state }
  }
  if (input === 'q') return { state, exit: 0 }
  if (input === ' ') return { state: { ...state, frozen: state.frozen === null ? freeze(ctx) : null } }
  if (input === '/') return { state: { ...state, prompt: '', message: null } }
  if (key.upArrow || key.downArrow || key.pageUp || key.pageDown) {
    const base = state.frozen ?? freeze(ctx)
    const delta = key.upArrow ? -1 : key.downArrow ? 1 : key.pageUp ? -ctx.listRows : ctx.listRows
    return { state: { ...state, frozen: select(base, delta, ctx.listRows) } }
  }
  if (key.return) {
    const base = state.frozen ?? freeze(ctx)
    const frozen = base.selected === null ? select(base, 0, ctx.listRows) : base
    const rec = frozen.selected === null ? undefined : frozen.records[frozen.selected]
    const detail = rec === undefined ? null : { lines: detailLines(detailJson(rec, ctx.binary), ctx.width), top: 0 }
    return { state: { ...state, frozen, detail } }
  }
  if (key.escape && state.message !== null) return { state: { ...state, message: null } }
  return { state }
}
