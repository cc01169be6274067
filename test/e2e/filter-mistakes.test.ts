/**
 * Mistakes in --filter are loud (replay and tail share the language): a name, function or quote
 * that cannot mean what was meant is exit 2 before anything is read; a syntax error points at its
 * column; a comparison with a missing field does not match (`!=` included); a replay whose filter
 * matched nothing says so; --dry-run shows the last offset, not the exclusive end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon
const run = (args: string[], input?: string) => sluice(args, { home: d.home, env: d.env, input })

beforeAll(async () => {
  d = await startDaemon({ brokers: 1 })
  const c = await run(['topic', 'create', 'fm', '--partitions', '1'])
  expect(c.exitCode, c.stderr).toBe(0)
  const lines = ['{"k":"a","status":"ok"}', '{"k":"b","status":"failed"}', '{"k":"c","status":"ok"}']
  const p = await run(['produce', 'fm', '--key', '.k'], lines.join('\n') + '\n')
  expect(p.exitCode, p.stderr).toBe(0)
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

/** The caret line's column under the expression line (both indented alike on stderr). */
function caretUnder(stderr: string, expr: string): string {
  const lines = stderr.split('\n')
  const at = lines.findIndex((l) => l.trim() === expr)
  expect(at, stderr).toBeGreaterThanOrEqual(0)
  const caret = lines[at + 1]!
  const column = caret.indexOf('^') - lines[at]!.indexOf(expr)
  return expr.slice(column)
}

describe.concurrent('--filter mistakes', () => {
  it('a bare word, a single-quoted string, an unknown function: exit 2 with a hint, for replay and tail', async () => {
    for (const cmd of [['replay', 'fm', '--from', 'earliest'], ['tail', 'fm']]) {
      const word = await run([...cmd, '--filter', 'value.status == failed'])
      expect(word.exitCode, word.stderr).toBe(2)
      expect(word.stdout).toBe('')
      expect(word.stderr).toMatch(/unknown name "failed".*double quotes \("failed"\)/)
      expect(caretUnder(word.stderr, 'value.status == failed')).toBe('failed')
      const single = await run([...cmd, '--filter', "value.status == 'failed'"])
      expect(single.exitCode, single.stderr).toBe(2)
      expect(single.stderr).toMatch(/double quotes \("failed"\)/)
      const fn = await run([...cmd, '--filter', 'startswith(key, "a")'])
      expect(fn.exitCode, fn.stderr).toBe(2)
      expect(fn.stderr).toMatch(/unknown function "startswith"/)
    }
  })

  it('a syntax error: the expression with the caret under the column; && and || hint at and/or', async () => {
    const syntax = await run(['replay', 'fm', '--from', 'earliest', '--filter', 'key startsWith "a" and value.status == == "ok"'])
    expect(syntax.exitCode, syntax.stderr).toBe(2)
    expect(caretUnder(syntax.stderr, 'key startsWith "a" and value.status == == "ok"')).toBe('== "ok"')
    const and = await run(['replay', 'fm', '--from', 'earliest', '--filter', 'value.status == "ok" && key == "a"'])
    expect(and.exitCode, and.stderr).toBe(2)
    expect(and.stderr).toMatch(/"&&".*write "and"/)
    expect(caretUnder(and.stderr, 'value.status == "ok" && key == "a"')).toBe('&& key == "a"')
    const or = await run(['tail', 'fm', '--filter', 'key == "a" || key == "b"'])
    expect(or.exitCode, or.stderr).toBe(2)
    expect(or.stderr).toMatch(/"\|\|".*write "or"/)
  })

  it('a comparison with a missing field does not match, != included; a filter that matched nothing says so', async () => {
    const typo = await run(['replay', 'fm', '--from', 'earliest', '--filter', 'value.stauts != "ok"'])
    expect(typo.exitCode, typo.stderr).toBe(0)
    expect(typo.stdout).toBe('')
    expect(typo.stderr).toMatch(/--filter matched none of the 3 record\(s\) read/)
    const ne = await run(['replay', 'fm', '--from', 'earliest', '--filter', 'value.status != "ok"'])
    expect(ne.stdout.trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['b'])
    expect(ne.stderr).not.toMatch(/matched none/)
    const missing = await run(['replay', 'fm', '--from', 'earliest', '--filter', 'not exists(value.stauts)'])
    expect(missing.stdout.trim().split('\n')).toHaveLength(3)
  })

  it('tail: when it stops, a filter that matched nothing says so', async () => {
    // With --group, the committed offsets show when tail has read every record.
    const child = spawnSluice(['tail', 'fm', '--from', 'earliest', '--group', 'fm-tail', '--filter', 'value.status == "lost"'], { home: d.home, env: d.env })
    await until('tail read the 3 records', async () => {
      const g = await run(['group', 'describe', 'fm-tail', '--json'])
      if (g.exitCode !== 0) return undefined
      const parts = (JSON.parse(g.stdout) as { partitions: { committedOffset: number | null }[] }).partitions
      return parts.length === 1 && parts[0]!.committedOffset === 3 ? true : undefined
    })
    child.kill('SIGTERM')
    const r = await child
    expect(String(r.stdout)).toBe('')
    expect(String(r.stderr)).toMatch(/--filter matched none of the 3 record\(s\) read/)
  })

  it('--dry-run prints the last offset of each range, not the exclusive end', async () => {
    const r = await run(['replay', 'fm', '--from', '0', '--to', '2', '--dry-run'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/fm\/0: offsets 0 to 1 \(2 records\)/)
  })
})
