/**
 * A broker started while the controller quorum has no majority, end to end: 4 brokers, the first
 * 3 the voters. Broker 4 and two voters' brokers are killed; `sluice broker start 4` returns at
 * once (exit 0) saying broker 4 registers once the quorum has a majority, and `broker list` shows
 * it `starting`. A voter's broker started again brings the majority back: broker 4 registers
 * (its retries, src/broker/broker.ts) and is up. Nothing here asserts a duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 4 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })

async function stateOf(id: number): Promise<string | undefined> {
  const r = await run(['broker', 'list', '--json'])
  expect(r.exitCode, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as { brokers: { id: number; state: string }[] }).brokers.find((b) => b.id === id)?.state
}

describe('e2e/quorum-register', () => {
  it('a broker started without a controller majority waits as starting, and registers once the majority is back', async () => {
    for (const id of [4, 1, 2]) expect((await run(['broker', 'kill', String(id)])).exitCode).toBe(0)

    const started = await run(['broker', 'start', '4'])
    expect(started.exitCode, started.stderr).toBe(0)
    expect(started.stderr).toMatch(/broker 4 started; it registers once the controller quorum has a majority/)
    expect(await stateOf(4)).toBe('starting')

    // A voter back: the quorum has a majority, and broker 4's registration goes through.
    expect((await run(['broker', 'start', '1'])).exitCode).toBe(0)
    await until('broker 4 up', async () => ((await stateOf(4)) === 'up' ? true : undefined))
  })
})
