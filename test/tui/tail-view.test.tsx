/**
 * The tail view with ink-testing-library: data from a TailStore filled by the test, keys through
 * stdin. Every wait is on a condition of the frame (the view redraws on its own tick).
 */
import { render } from 'ink-testing-library'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceError } from '../../src/common/errors.js'
import { compileFilter } from '../../src/client/replay/filter.js'
import { TailStore } from '../../src/tui/tail/store.js'
import { TailView } from '../../src/tui/tail/TailView.js'
import { rec } from './tail-fixtures.js'

const UP = '\u001B[A'
const DOWN = '\u001B[B'
const ENTER = '\r'
const ESC = '\u001B'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

async function until(what: string, frame: () => string | undefined, ok: (f: string) => boolean, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const f = frame() ?? ''
    if (ok(f)) return f
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

function setup(opts: { records?: number; width?: number; rows?: number } = {}) {
  const store = new TailStore('orders', 200)
  store.declarePartitions([0, 1, 2])
  let t = 0
  const add = (n: number): void => {
    for (let i = 0; i < n; i++, t++) store.add(rec(t % 3, Math.floor(t / 3), JSON.stringify({ id: t, status: t % 5 === 0 ? 'failed' : 'ok', pad: 'y'.repeat(150) })))
  }
  add(opts.records ?? 30)
  let clock = 0
  const exits: number[] = []
  const compile = (expr: string) => {
    try {
      return compileFilter(expr)
    } catch (err) {
      throw new SluiceError('USAGE', (err as Error).message.replace(/^--filter /, 'filter '))
    }
  }
  const app = render(
    <TailView
      store={store}
      compile={compile}
      status="reading"
      tickMs={20}
      size={{ columns: opts.width ?? 100, rows: opts.rows ?? 16 }}
      nowMs={() => (clock += 50)}
      onExit={(code) => exits.push(code)}
    />,
  )
  cleanups.push(() => app.unmount())
  const frame = (): string => app.lastFrame() ?? ''
  const wait = (what: string, ok: (f: string) => boolean) => until(what, app.lastFrame, ok)
  const press = (k: string): void => {
    app.stdin.write(k)
  }
  return { store, add, app, frame, wait, press, exits }
}

describe('tui/tail TailView', () => {
  it('shows the columns, the newest record at the bottom, values cut to the width, and the header rates', async () => {
    const { frame, wait, add } = setup({ width: 90, rows: 16 })
    await wait('the records', (f) => f.includes('"id":29'))
    const lines = frame().split('\n')
    expect(lines[0]).toMatch(/^sluice tail orders +· +following +· +30 records +· +[\d.]+\/s$/)
    expect(lines[1]).toMatch(/^p0 [\d.k]+\/s \(10\) {2}p1 [\d.k]+\/s \(10\) {2}p2 [\d.k]+\/s \(10\)/)
    expect(lines[2]).toMatch(/^ {2}p +offset +time +key +value/)
    // 16 rows: 6 lines of chrome, 10 records, the newest last.
    const rows = lines.filter((l) => /"id":\d+/.test(l))
    expect(rows).toHaveLength(10)
    expect(rows.at(-1)).toMatch(/^ {2}2 +9 +\d\d:\d\d:\d\d\.\d{3} +k9 +\{"id":29,/)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(90)
    expect(rows.at(-1)!.endsWith('…')).toBe(true)
    expect(lines.at(-1)).toContain('q quit')
    add(3)
    await wait('new records and counts', (f) => f.includes('"id":32') && f.includes('33 records'))
    // The clock moves 50 ms per sample: 3 records within the last samples give a rate above 0.
    expect(frame().split('\n')[0]).toMatch(/33 records +· +[1-9][\d.]*\/s/)
    expect(frame().split('\n')[1]).toMatch(/p0 [1-9][\d.]*\/s \(11\)/)
  })

  it('space pauses: the list freezes while the counts move on; space follows again', async () => {
    const { frame, wait, press, add } = setup()
    await wait('the records', (f) => f.includes('"id":29'))
    press(' ')
    await wait('paused', (f) => f.includes('paused'))
    add(5)
    await wait('the count to move', (f) => f.includes('35 records'))
    expect(frame()).not.toContain('"id":34')
    expect(frame()).toContain('"id":29')
    expect(frame()).toContain('space follow')
    press(' ')
    await wait('following again', (f) => f.includes('following') && f.includes('"id":34'))
  })

  it('arrows select a record (the list freezes), enter opens it as pretty JSON, escape closes it', async () => {
    const { frame, wait, press, add } = setup()
    await wait('the records', (f) => f.includes('"id":29'))
    press(UP) // selects the newest
    await wait('paused', (f) => f.includes('paused'))
    press(UP)
    press(UP)
    press(DOWN) // on id 28
    await wait('the selection', (f) => /^› +1 +9 .*"id":28,/m.test(f))
    add(4)
    await wait('the count to move', (f) => f.includes('34 records'))
    expect(frame()).not.toContain('"id":33')
    press(ENTER)
    const detail = await wait('the detail', (f) => f.includes('"topic": "orders"'))
    expect(detail).toContain('"partition": 1')
    expect(detail).toContain('"offset": 9')
    expect(detail).toMatch(/"time": "2026-11-20T10:00:00\.009Z"/)
    expect(detail).toContain('"key": "k9"')
    expect(detail).toContain('"value": {\n')
    expect(detail).toContain('  "id": 28,')
    expect(detail).toContain('more line(s)')
    for (let i = 0; i < 6; i++) press(DOWN) // scrolls the detail
    await wait('the end of the detail', (f) => f.includes('"headers": {}'))
    press(ESC)
    await wait('the list back', (f) => f.includes('"id":29') && !f.includes('"topic": "orders"'))
    expect(frame()).toContain('paused')
    press(' ')
    await wait('following again', (f) => f.includes('"id":33'))
  })

  it('/ filters: the expression applies to the records already read; a bad one shows its error and keeps the old filter', async () => {
    const { frame, wait, press } = setup()
    await wait('the records', (f) => f.includes('"id":29'))
    press('/')
    await wait('the prompt', (f) => f.includes('filter>'))
    press('value.status == "failed"')
    await wait('the typed text', (f) => f.includes('filter> value.status == "failed"'))
    press(ENTER)
    await wait('filtered', (f) => f.includes('6 matched  ·  filter: value.status ==') && !f.includes('"id":29'))
    const ids = [...frame().matchAll(/"id":(\d+)/g)].map((m) => Number(m[1]))
    expect(ids).toEqual([0, 5, 10, 15, 20, 25])
    press('/')
    await wait('the prompt', (f) => f.includes('filter>'))
    press('value.id >')
    press(ENTER)
    await wait('the error', (f) => /filter "value\.id >": Parse error/.test(f))
    expect(frame()).toContain('6 matched  ·  filter: value.status ==')
    press(ESC)
    await wait('the prompt closed', (f) => !f.includes('filter>') && !f.includes('Parse error'))
    press('/')
    await wait('the prompt', (f) => f.includes('filter>'))
    press(ENTER) // empty: clears
    await wait('unfiltered', (f) => f.includes('"id":29') && !f.includes('filter: '))
  })

  it('q quits with 0, Ctrl-C with 130; q in the detail closes it', async () => {
    const { wait, press, exits } = setup()
    await wait('the records', (f) => f.includes('"id":29'))
    press(ENTER)
    await wait('the detail', (f) => f.includes('"topic": "orders"'))
    press('q')
    await wait('the list back', (f) => f.includes('"id":29') && !f.includes('"topic"'))
    expect(exits).toEqual([])
    press('q')
    await until('the exit', () => String(exits.length), (n) => n === '1')
    press('\u0003')
    await until('the exit', () => String(exits.length), (n) => n === '2')
    expect(exits).toEqual([0, 130])
  })
})
