/**
 * What a short command loads at start-up: a shell loop that calls sluice once per event pays it
 * on every call. The heavy libraries (@platformatic/kafka, whose import compiles JSON schemas;
 * Ink and React, for the TUIs; filtrex, kleur) stay out of the commands that do not use them.
 * The CPU figures themselves are measured by `node bench/run.js --only startup`, not here: a test
 * asserts what is loaded, never how long it took.
 */
import fs from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, REPO_ROOT, cleanEnv } from '../helpers/sluice.js'
import { startDaemon, stopDaemon, tempHome, type TempHome, type TestDaemon } from '../helpers/index.js'

const TRACE = path.join(REPO_ROOT, 'test', 'helpers', 'module-trace.mjs')
const HEAVY = /\/node_modules\/(@platformatic\/kafka|ink|react|filtrex|kleur)\//

let d: TestDaemon
let dir: TempHome

beforeAll(async () => {
  ;[d, dir] = await Promise.all([startDaemon({ brokers: 3 }), tempHome()])
}, 60_000)

afterAll(async () => {
  await stopDaemon(d)
  await dir?.cleanup()
})

let traces = 0

/** Runs `sluice ...args` against the daemon; resolves with its result and the modules it loaded. */
async function traced(args: string[], input?: string): Promise<{ exitCode: number; stdout: string; stderr: string; loaded: string[] }> {
  const file = path.join(dir.path, `trace-${++traces}.txt`)
  const r = await execa(process.execPath, ['--import', TRACE, BIN, ...args], {
    reject: false,
    env: cleanEnv({ ...d.env, MODULE_TRACE_FILE: file }, d.home),
    extendEnv: false,
    input,
    timeout: 60_000,
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
    expect(r.loaded.some((u) => u.endsWith('/dist/commands/topic/list.js'))).toBe(true)
  })

  it('topic list: no Kafka client library, no TUI', async () => {
    const created = await execa(process.execPath, [BIN, 'topic', 'create', 'startup-list', '--partitions', '2', '--json'], {
      reject: false,
      env: cleanEnv(d.env, d.home),
      extendEnv: false,
    })
    expect(created.exitCode, String(created.stderr)).toBe(0)
    const r = await traced(['topic', 'list', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).topics).toContainEqual(expect.objectContaining({ topic: 'startup-list', internal: false, partitionCount: 2, replicationFactor: 3 }))
    expect(heavy(r.loaded)).toEqual([])
  })
})
