/**
 * `sluice tail` through the built binary against a one-broker daemon: without a terminal it is
 * `consume --from latest` (records produced after it started come out as envelope lines, earlier
 * ones do not), with --filter, and --group as consume has it; the error paths; and once for real
 * in a tmux terminal (the header and the records on screen, `q` ends the command).
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, REPO_ROOT, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 1 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

async function createTopic(topic: string, partitions = 3): Promise<void> {
  const r = await sluice(['topic', 'create', topic, '--partitions', String(partitions)], { home: d.home, env: d.env })
  expect(r.exitCode, r.stderr).toBe(0)
}

async function produce(topic: string, lines: string[]): Promise<void> {
  const r = await sluice(['produce', topic, '--key', '.k'], { home: d.home, env: d.env, input: lines.join('\n') + '\n' })
  expect(r.exitCode, r.stderr).toBe(0)
}

/**
 * Starts `sluice tail` (stdout a pipe), then produces "probe" records until one comes out: from
 * then on tail is following. Returns the lines so far and a way to read more.
 */
async function startFollowing(topic: string, args: string[] = [], probe = (n: number) => `{"k":"probe","n":${n}}`) {
  const child = spawnSluice(['tail', topic, ...args], { home: d.home, env: d.env, timeoutMs: 90_000 })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const lines = (): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  let n = 0
  await until('tail to follow', async () => {
    await produce(topic, [probe(n++)])
    return lines().length > 0 ? true : undefined
  })
  return { child, lines }
}

// Concurrent: each test has its own topic (and group).
describe.concurrent('sluice tail (not a terminal)', () => {
  it('follows from latest: records produced after it started come out as envelope lines, earlier ones do not', async () => {
    await createTopic('tail-follow')
    await produce('tail-follow', ['{"k":"before","v":1}', '{"k":"before","v":2}'])
    const { child, lines } = await startFollowing('tail-follow')
    await produce('tail-follow', ['{"k":"after","v":3}', '{"k":"after","v":4}'])
    await until('the later records', () => (lines().filter((l) => l.key === 'after').length === 2 ? true : undefined))
    child.kill('SIGTERM')
    const r = await child
    expect(r.exitCode).toBe(0)
    const all = lines()
    expect(all.some((l) => l.key === 'before')).toBe(false)
    const after = all.filter((l) => l.key === 'after')
    expect(after.map((l) => (l.value as { v: number }).v).sort()).toEqual([3, 4])
    expect(Object.keys(after[0]!)).toEqual(['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers'])
    expect(after[0]!.topic).toBe('tail-follow')
  })

  it('applies --filter', async () => {
    await createTopic('tail-filter')
    const { child, lines } = await startFollowing('tail-filter', ['--filter', 'value.status == "failed" or key == "probe"'])
    await produce('tail-filter', ['{"k":"a","status":"ok"}', '{"k":"b","status":"failed"}', '{"k":"c","status":"ok"}', '{"k":"d","status":"failed"}'])
    await until('the failed records', () => (lines().filter((l) => l.key !== 'probe').length >= 2 ? true : undefined))
    child.kill('SIGTERM')
    await child
    expect(lines().filter((l) => l.key !== 'probe').map((l) => l.key).sort()).toEqual(['b', 'd'])
  })

  it('--group: joins the group, follows, and commits what it wrote', async () => {
    await createTopic('tail-group')
    const { child, lines } = await startFollowing('tail-group', ['--group', 'tail-watchers'])
    await produce('tail-group', ['{"k":"g1"}', '{"k":"g2"}', '{"k":"g3"}'])
    await until('the records', () => (lines().filter((l) => /^g\d$/.test(String(l.key))).length === 3 ? true : undefined))
    child.kill('SIGTERM')
    expect((await child).exitCode).toBe(0)
    const r = await sluice(['group', 'describe', 'tail-watchers', '--json'], { home: d.home, env: d.env })
    expect(r.exitCode, r.stderr).toBe(0)
    const described = JSON.parse(r.stdout) as { lag: number; partitions: { committedOffset: number; endOffset: number }[] }
    expect(described.lag).toBe(0)
    expect(described.partitions.every((p) => p.committedOffset === p.endOffset)).toBe(true)
  })

  it('exits 4 for an unknown topic (as consume), 2 for a bad filter or flag', async () => {
    const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })
    const [unknown, consume, bad, from, flag] = await Promise.all([
      run(['tail', 'no-such-topic']),
      run(['consume', 'no-such-topic']),
      run(['tail', 'tail-errors', '--filter', 'value.x ==']),
      run(['tail', 'tail-errors', '--from', 'yesterday']),
      run(['tail', 'tail-errors', '--nope']),
    ])
    expect(unknown.exitCode).toBe(4)
    expect(unknown.stderr).toBe(consume.stderr)
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/^sluice: --filter "value\.x ==": Parse error/)
    expect(from.exitCode).toBe(2)
    expect(flag.exitCode).toBe(2)
  })
})

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'])
    return true
  } catch {
    return false
  }
}

describe.runIf(hasTmux())('sluice tail (in a terminal: tmux)', () => {
  it('shows the header and the records produced, and exits when q is pressed', async () => {
    await createTopic('tail-tty')
    const session = `sluice-tail-${process.pid}-${Date.now()}`
    const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' })
    const screen = (): string => tmux('capture-pane', '-p', '-t', session)
    // CI=true as in a CI job's shell: Ink would print only its last frame; on a terminal tail
    // renders live all the same (renderLiveInCi).
    const env = Object.entries({ ...d.env, SLUICE_HOME: d.home })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    const cmd = `cd ${REPO_ROOT} && env CI=true ${env} ${process.execPath} ${BIN} tail tail-tty; echo "tail-exited=$?"; sleep 60`
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', cmd)
    try {
      await until('the view', () => (/sluice tail tail-tty +· +(following|connecting)/.test(screen()) ? true : undefined))
      let n = 0
      const text = await until('a record on screen', async () => {
        await produce('tail-tty', [`{"k":"key-${n}","seen":${n++}}`])
        const s = screen()
        return /\{"k":"key-\d+","seen":\d+\}/.test(s) ? s : undefined
      })
      expect(text).toMatch(/sluice tail tail-tty +· +following +· +\d+ records +· +[\d.k]+\/s/)
      expect(text).toMatch(/p0 [\d.k]+\/s/)
      expect(text).toMatch(/ {2}p +offset +time +key +value/)
      expect(text).toMatch(/^ {2}\d +\d+ +\d\d:\d\d:\d\d\.\d{3} +key-\d+ +\{"k":"key-\d+","seen":\d+\}/m)
      expect(text).toContain('q quit')
      tmux('send-keys', '-t', session, 'q')
      const after = await until('the command to exit', () => {
        const s = screen()
        return s.includes('tail-exited=') ? s : undefined
      })
      expect(after).toContain('tail-exited=0')
    } finally {
      try {
        tmux('kill-session', '-t', session)
      } catch {
        // already gone
      }
    }
  })
})
