/**
 * `sluice tail` on a terminal: the store, the fetch loop feeding it, and the Ink view, on the
 * terminal's alternate screen (as less and top do: the shell's screen comes back on exit).
 * Resolves with the exit code (q: 0, Ctrl-C: 130); a failure of the fetch loop (unknown topic,
 * cluster unreachable) closes the view and is thrown, so the command reports it as consume does.
 */
import { render } from 'ink'
import type { ReactElement } from 'react'
import type { RecordFilter } from '../../client/replay/filter.js'
import { startTailSource, type TailSourceOptions } from './source.js'
import { TailStore, type ActiveFilter } from './store.js'
import { TailView } from './TailView.js'

export interface TailViewRunOptions extends Omit<TailSourceOptions, 'store' | 'onAssigned' | 'onNote'> {
  compile: (expr: string) => RecordFilter
  filter?: ActiveFilter
  binary: boolean
  /** Records kept (for the list and to scroll back through when paused). */
  capacity?: number
}

const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H'
const LEAVE_ALT_SCREEN = '\u001B[?1049l'

type Outcome = { kind: 'exit'; code: number } | { kind: 'done' } | { kind: 'error'; error: unknown }

export async function runTailView(opts: TailViewRunOptions): Promise<number> {
  const store = new TailStore(opts.topic, opts.capacity)
  if (opts.filter !== undefined) store.setFilter(opts.filter)
  let onExit!: (code: number) => void
  const exited = new Promise<Outcome>((resolve) => (onExit = (code) => resolve({ kind: 'exit', code })))
  let status: 'connecting' | 'reading' = 'connecting'
  // The group member's last note (a lost coordinator), until the next assignment.
  let notice: string | undefined
  const view = (): ReactElement => (
    <TailView store={store} compile={opts.compile} binary={opts.binary} status={status} notice={notice} onExit={(code) => onExit(code)} />
  )
  process.stdout.write(ENTER_ALT_SCREEN)
  const ink = render(view(), { exitOnCtrlC: false, patchConsole: true, maxFps: 15 })
  const source = startTailSource({
    ...opts,
    store,
    onAssigned: () => {
      if (status === 'reading' && notice === undefined) return
      status = 'reading'
      notice = undefined
      ink.rerender(view())
    },
    onNote: (message) => {
      notice = message
      ink.rerender(view())
    },
  })
  try {
    const outcome = await Promise.race<Outcome>([
      exited,
      source.done.then(
        (): Outcome => ({ kind: 'done' }),
        (error: unknown): Outcome => ({ kind: 'error', error }),
      ),
    ])
    if (outcome.kind === 'error') throw outcome.error
    source.stop()
    await source.done.catch(() => undefined)
    return outcome.kind === 'exit' ? outcome.code : 0
  } finally {
    ink.unmount()
    ink.cleanup()
    process.stdout.write(LEAVE_ALT_SCREEN)
  }
}
