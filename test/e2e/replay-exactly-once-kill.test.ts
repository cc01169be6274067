/**
 * `sluice replay --into` killed (SIGKILL) inside a transaction, after part of the range committed:
 * the open transaction's records are in the target's log but not committed (every broker answers
 * EndTxn with COORDINATOR_LOAD_IN_PROGRESS meanwhile, a retriable error the client retries), and
 * the run again aborts them (its InitProducerId), resumes from the progress committed and writes
 * the rest once: read committed, the target holds each source record exactly once, while read
 * uncommitted it also holds the aborted copies. Its own daemon: the fault is cluster-wide.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { HANG_MS, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { isStable, readTopic } from '../support/read-back.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
})
afterAll(async () => {
  if (d) await stopDaemon(d)
})

const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i }))

async function faultEndTxn(): Promise<void> {
  for (const b of d.brokers) {
    const f = await sluice(['fault', 'add', 'error', '--broker', String(b.id), '--api', 'end-txn', '--error', 'COORDINATOR_LOAD_IN_PROGRESS', '--count', '100000'], { env: d.env })
    expect(f.exitCode, f.stderr).toBe(0)
  }
}

const count = async (topic: string, isolation?: 'read_committed'): Promise<number> => (await readTopic(d.port, topic, isolation).catch(() => [])).length

it('killed while its transaction is open and run again, the target holds each source record once (read committed)', async () => {
  const filled = await sluice(['produce', 'kill-src', '--key', '.id'], { env: d.env, input: lines(1000).join('\n') })
  expect(filled.exitCode, filled.stderr).toBe(0)
  // Paced (a transaction per tenth of a second, 10 s in all), so that some of the range commits
  // first and the faults are in place (three CLI calls) long before the end.
  const args = ['replay', 'kill-src', '--from', 'earliest', '--into', 'kill-dst', '--rate', '100/s', '--json']
  const child = spawnSluice(args, { env: d.env })
  await until('committed records in kill-dst', async () => ((await count('kill-dst', 'read_committed')) >= 30 ? true : undefined), HANG_MS, 10)
  await faultEndTxn()
  // Sent after the fault (read uncommitted), never committed: EndTxn keeps failing.
  const committedBefore = await count('kill-dst', 'read_committed')
  await until('uncommitted records in kill-dst', async () => (child.exitCode !== null || (await count('kill-dst')) > committedBefore + 5 ? true : undefined), HANG_MS, 10)
  child.kill('SIGKILL')
  expect((await child).signal).toBe('SIGKILL')
  expect((await sluice(['fault', 'clear'], { env: d.env })).exitCode).toBe(0)

  // The same replay, unpaced: the rate is not part of a replay's identity, and what is left needs
  // no pacing.
  const again = await sluice(args.filter((a, i) => a !== '--rate' && args[i - 1] !== '--rate'), { env: d.env })
  expect(again.exitCode, again.stderr).toBe(0)
  const result = JSON.parse(again.stdout) as { produced: number; resumed?: Record<string, number> }
  expect(again.stderr).toMatch(/resuming replay sluice-replay-[0-9a-f]{16} from its committed progress/)
  expect(result.resumed).toBeDefined()
  await until('no open transaction in kill-dst', async () => ((await isStable(d.port, 'kill-dst').catch(() => false)) ? true : undefined), HANG_MS, 50)
  const committed = (await readTopic(d.port, 'kill-dst', 'read_committed')).map((r) => r.value).sort()
  const source = (await readTopic(d.port, 'kill-src')).map((r) => r.value).sort()
  expect(committed).toEqual(source)
  // The killed run's last transaction is in the log, aborted: read uncommitted shows its copies too.
  expect(await count('kill-dst')).toBeGreaterThan(1000)
  expect(result.produced).toBeLessThan(1000)
})
