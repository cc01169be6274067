/**
 * The command line reads as Kafka users type it: `consume -p 0 orders` (kcat's order), `sluice
 * help [command]`, topic descriptions in --help that describe the topic, an unknown command that
 * names the nearest one, and a bad topic name as a usage error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon
const run = (args: string[], input?: string) => sluice(args, { home: d.home, env: d.env, input })

beforeAll(async () => {
  d = await startDaemon({ brokers: 1 })
  const c = await run(['topic', 'create', 'cn', '--partitions', '2'])
  expect(c.exitCode, c.stderr).toBe(0)
  for (const [partition, lines] of [['0', '{"k":"a"}\n{"k":"b"}\n'], ['1', '{"k":"c"}\n']] as const) {
    const p = await run(['produce', 'cn', '--key', '.k', '--partition', partition], lines)
    expect(p.exitCode, p.stderr).toBe(0)
  }
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

const keysOf = (stdout: string) => stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { partition: number; key: string })

describe.concurrent('command line', () => {
  it('consume -p 0 TOPIC --exit: -p takes one value, the topic stays the topic', async () => {
    const [p0, both] = await Promise.all([
      run(['consume', '-p', '0', 'cn', '--exit']),
      run(['consume', '-p', '0', '-p', '1', 'cn', '--exit']),
    ])
    expect(p0.exitCode, p0.stderr).toBe(0)
    expect(keysOf(p0.stdout).map((r) => [r.partition, r.key])).toEqual([[0, 'a'], [0, 'b']])
    expect(both.exitCode, both.stderr).toBe(0)
    expect(keysOf(both.stdout)).toHaveLength(3)
  })

  it('--help describes each topic; sluice help [command] works', async () => {
    const help = await run(['--help'])
    expect(help.stdout).toMatch(/\n {2}group +Consumer groups: list, describe, reset offsets, delete\n/)
    const fault = await run(['fault', '--help'])
    expect(fault.stdout).toMatch(/fault add +Add a fault: latency, a cut link, or an error code/)
    const byHelp = await run(['help', 'topic', 'create'])
    const byFlag = await run(['topic', 'create', '--help'])
    expect(byHelp.exitCode, byHelp.stderr).toBe(0)
    expect(byHelp.stdout).toBe(byFlag.stdout)
    const top = await run(['help'])
    expect(top.exitCode).toBe(0)
    expect(top.stdout).toBe(help.stdout)
    const unknown = await run(['help', 'topc', 'create'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command "topc create"; did you mean "help topic create"\?/)
  })

  it('an unknown command names the nearest one (exit 2); none when nothing is near', async () => {
    const typo = await run(['topc', 'list'])
    expect(typo.exitCode).toBe(2)
    expect(typo.stderr).toMatch(/unknown command "topc list"; did you mean "topic list"\?/)
    const far = await run(['zzzzzzzz'])
    expect(far.exitCode).toBe(2)
    expect(far.stderr).not.toMatch(/did you mean/)
  })

  it("consume, tail, replay with a bad topic name: exit 2 saying the name is invalid", async () => {
    for (const args of [['consume', 'bad name'], ['tail', 'bad name'], ['replay', 'bad name', '--from', 'earliest']]) {
      const r = await run(args)
      expect(r.exitCode, r.stderr).toBe(2)
      expect(r.stderr).toMatch(/^sluice: bad topic name "bad name": only ASCII letters/)
    }
  })
})
