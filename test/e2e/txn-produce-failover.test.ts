/**
 * `sluice produce --transactional-id --transaction-records N` while the broker that coordinates
 * its transactional id is killed in the middle of the run, with a transaction open: the client
 * finds the new coordinator (which resumes the open transaction from __transaction_state) and goes
 * on; every record is committed once, read_committed, and none is lost. Its own daemon: a broker
 * is killed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { applyBrokerConfigs, FAST_FAILOVER_CONFIGS, HANG_MS, incrementalBrokerConfigs, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { transactionCoordinatorOf } from '../support/coordinator.js'
import { isStable, readTopic } from '../support/read-back.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  // The killed coordinator's broker is fenced after 1 s, not the default 9 s.
  await applyBrokerConfigs(incrementalBrokerConfigs(d), FAST_FAILOVER_CONFIGS)
})
afterAll(async () => {
  if (d) await stopDaemon(d)
})

const lines = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: from + i }))

it('the coordinator\'s broker killed mid-run: every record committed once, none lost', async () => {
  const child = spawnSluice(['produce', 'txn-failover', '--transactional-id', 'failover', '--transaction-records', '50', '--json'], { env: d.env })
  // Four transactions committed, and a fifth open with 25 records sent (the input paused).
  child.stdin!.write(lines(225).join('\n') + '\n')
  await until('four transactions committed', async () => ((await readTopic(d.port, 'txn-failover', 'read_committed').catch(() => [])).length >= 200 ? true : undefined), HANG_MS, 25)
  await until('the fifth one sent', async () => ((await readTopic(d.port, 'txn-failover').catch(() => [])).length >= 225 ? true : undefined), HANG_MS, 25)
  const coordinator = await transactionCoordinatorOf(d.port, 'failover')
  // Asked of a broker that stays up (the first one, the bootstrap, may be the one killed).
  const alive = d.brokers.find((b) => b.id !== coordinator)!.port
  const killed = await sluice(['broker', 'kill', String(coordinator)], { env: d.env })
  expect(killed.exitCode, killed.stderr).toBe(0)
  child.stdin!.end(lines(175, 225).join('\n') + '\n')
  const r = await child
  expect(r.exitCode, String(r.stderr)).toBe(0)
  expect(JSON.parse(String(r.stdout))).toMatchObject({ records: 400, transactions: { committed: 8, committedRecords: 400, aborted: false } })
  expect(await transactionCoordinatorOf(alive, 'failover')).not.toBe(coordinator)
  await until('no open transaction in txn-failover', async () => ((await isStable(alive, 'txn-failover').catch(() => false)) ? true : undefined), HANG_MS, 50)
  const ids = (await readTopic(alive, 'txn-failover', 'read_committed')).map((x) => (JSON.parse(x.value!) as { id: number }).id).sort((a, b) => a - b)
  expect(ids).toEqual(Array.from({ length: 400 }, (_, i) => i))
})
