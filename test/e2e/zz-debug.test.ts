import { execSync } from 'node:child_process'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BIN, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { transactionCoordinatorOf } from '../support/coordinator.js'
import { isStable, readTopic } from '../support/read-back.js'
import { RawClient } from '../support/raw-client.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

let d: TestDaemon
beforeAll(async () => { d = await startDaemon({ brokers: 3 }) })
afterAll(async () => { if (d) await stopDaemon(d) })
const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i }))

it.each([1, 2, 3])('run %i', async (run) => {
  const src = `fo-src-${run}`, dst = `fo-dst-${run}`, id = `fo-replay-${run}`
  const filled = await sluice(['produce', src, '--key', '.id'], { env: d.env, input: lines(2000).join('\n') })
  expect(filled.exitCode, filled.stderr).toBe(0)
  const child = spawnSluice(['replay', src, '--from', 'earliest', '--into', dst, '--transactional-id', id, '--rate', '400/s', '--json'], { env: d.env })
  await until('a part committed', async () => ((await readTopic(d.port, dst, 'read_committed').catch(() => [])).length >= 300 ? true : undefined), 120_000, 25)
  const coordinator = await transactionCoordinatorOf(d.port, id)
  expect((await sluice(['broker', 'kill', String(coordinator)], { env: d.env })).exitCode).toBe(0)
  const r = await child
  expect(r.exitCode, String(r.stderr)).toBe(0)
  try {
    await until('stable', async () => ((await isStable(d.port, dst).catch(() => false)) ? true : undefined), 60_000, 50)
  } catch (e) {
    console.error('STUCK', run, execSync(`node ${BIN} txn list --json; node ${BIN} topic describe ${dst}; node ${BIN} cluster partitions --json | grep ${dst}; node ${BIN} cluster events | grep -v partition.created | tail -40`, { env: { ...process.env, ...d.env } }).toString())
    console.error('REPLAY STDERR', String(r.stderr))
    console.error('LOGS', execSync(`node ${BIN} daemon logs 2>&1 | grep -iv "produced\\|fetch" | tail -80`, { env: { ...process.env, ...d.env } }).toString())
    for (const b of d.brokers) {
      try {
        const c = await RawClient.connect(b.port)
        const r2 = await c.request(ApiKey.DescribeProducers, 0, { topics: [{ name: dst, partitionIndexes: [0, 1, 2] }] })
        console.error('PRODUCERS at', b.id, JSON.stringify(r2.topics))
        c.close()
      } catch (err) { console.error('no', b.id, String(err)) }
    }
    await new Promise((res) => setTimeout(res, 1_000))
    throw e
  }
  await sluice(['broker', 'start', String(coordinator)], { env: d.env })
  await until('all up', async () => ((await isStable(d.port, dst).catch(() => false)) ? true : undefined), 60_000, 50)
})
