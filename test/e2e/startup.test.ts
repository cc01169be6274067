/**
 * What a short command loads at start-up: a shell loop that calls sluice once per event pays it
 * on every call. The heavy libraries (@platformatic/kafka, whose import compiles JSON schemas;
 * Ink and React, for the TUIs; filtrex, kleur) stay out of the commands that do not use them.
 * The CLI runs from its bundle (dist/bundle/, build/bundle-cli.mjs), which leaves these libraries
 * in node_modules, so the trace sees them load. The CPU figures themselves are measured by
 * `node bench/run.js --only startup`, not here: a test asserts what is loaded, never how long it
 * took.
 */
import fs from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, REPO_ROOT, cleanEnv } from '../helpers/sluice.js'
import { HANG_MS } from '../helpers/wait.js'
import { startDaemon, stopDaemon, tempHome, type TempHome, type TestDaemon } from '../helpers/index.js'

const TRACE = path.join(REPO_ROOT, 'test', 'helpers', 'module-trace.mjs')
const HEAVY = /\/node_modules\/(@platformatic\/kafka|ink|react|filtrex|kleur)\//

let d: TestDaemon
let dir: TempHome

beforeAll(async () => {
  ;[d, dir] = await Promise.all([startDaemon({ brokers: 3 }), tempHome()])
})

afterAll(async () => {
  await stopDaemon(d)
  await dir?.cleanup()
})

let traces = 0

/** `sluice ...args` against the daemon, untraced. */
async function sluiceRun(args: string[], input?: string): Promise<{ exitCode: number; stderr: string }> {
  const r = await execa(process.execPath, [BIN, ...args], { reject: false, env: cleanEnv(d.env, d.home), extendEnv: false, input, timeout: HANG_MS })
  return { exitCode: r.exitCode ?? -1, stderr: String(r.stderr) }
}

/** Runs `sluice ...args` against the daemon; resolves with its result and the modules it loaded. */
async function traced(args: string[], input?: string, env: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; stderr: string; loaded: string[] }> {
  const file = path.join(dir.path, `trace-${++traces}.txt`)
  const r = await execa(process.execPath, ['--import', TRACE, BIN, ...args], {
    reject: false,
    env: cleanEnv({ ...d.env, ...env, MODULE_TRACE_FILE: file }, d.home),
    extendEnv: false,
    input,
    timeout: HANG_MS,
    cwd: REPO_ROOT,
  })
  const loaded = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : []
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), loaded }
}

const heavy = (loaded: string[]): string[] => [...new Set(loaded.filter((u) => HEAVY.test(u)).map((u) => HEAVY.exec(u)![1]!))]

describe('start-up: a short command loads only what it uses', () => {
  it('the trace sees the modules a command loads', async () => {
    const r = await traced(['topic', 'list'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.loaded.some((u) => u.endsWith('/dist/bundle/commands/topic/list.js'))).toBe(true)
  })

  it('NODE_ENV=development or test: oclif does not look for TypeScript sources (the typescript package alone cost 0.3 s of CPU a call)', async () => {
    // The trace sees a require() too, as the bundle's of typescript would be.
    const file = path.join(dir.path, 'trace-require.txt')
    await execa(process.execPath, ['--import', TRACE, '-e', "require('typescript')"], { env: { ...process.env, MODULE_TRACE_FILE: file }, cwd: REPO_ROOT, timeout: HANG_MS })
    expect(fs.readFileSync(file, 'utf8')).toMatch(/\/node_modules\/typescript\//)
    for (const NODE_ENV of ['development', 'test']) {
      const r = await traced(['topic', 'list'], undefined, { NODE_ENV })
      expect(r.exitCode, r.stderr).toBe(0)
      expect(r.loaded.filter((u) => /\/node_modules\/(typescript|ts-node|tsx)\//.test(u))).toEqual([])
    }
  })

  it('topic list: no Kafka client library, no TUI', async () => {
    const created = await sluiceRun(['topic', 'create', 'startup-list', '--partitions', '2', '--json'])
    expect(created.exitCode, created.stderr).toBe(0)
    const r = await traced(['topic', 'list', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).topics).toContainEqual(expect.objectContaining({ topic: 'startup-list', internal: false, partitionCount: 2, replicationFactor: 3 }))
    expect(heavy(r.loaded)).toEqual([])
  })

  it('consume --exit: no Kafka client library, the records as before', async () => {
    const input = '{"n":1}\n{"n":2}\n{"n":3}\n'
    expect((await sluiceRun(['produce', 'startup-consume', '--partition', '0'], input)).exitCode).toBe(0)
    const r = await traced(['consume', 'startup-consume', '--exit'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).value)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    expect(heavy(r.loaded)).toEqual([])
  })

  it('consume of a mistyped topic: NOT_FOUND (exit 4) at once, without loading the client library', async () => {
    const r = await traced(['consume', 'startup-no-such-topic', '--exit'])
    expect(r.exitCode).toBe(4)
    expect(r.stderr).toMatch(/topic "startup-no-such-topic" does not exist/)
    expect(heavy(r.loaded)).toEqual([])
  })

  it('consume of compressed records loads the codecs when it meets them', async () => {
    const input = '{"c":1}\n{"c":2}\n'
    expect((await sluiceRun(['produce', 'startup-gzip', '--compression', 'gzip'], input)).exitCode).toBe(0)
    const r = await traced(['consume', 'startup-gzip', '--exit'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).value).sort((a, b) => a.c - b.c)).toEqual([{ c: 1 }, { c: 2 }])
  })

  it('produce of one record: no Kafka client library, the record stored', async () => {
    const r = await traced(['produce', 'startup-produce', '--json'], '{"one":1}\n')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ topic: 'startup-produce', records: 1, acks: 'all' })
    expect(heavy(r.loaded)).toEqual([])
    const c = await traced(['consume', 'startup-produce', '--exit'])
    expect(JSON.parse(c.stdout).value).toEqual({ one: 1 })
  })
})
