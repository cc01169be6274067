/**
 * `sluice replay --into` while the broker that coordinates its transactions (and leads some of
 * the source's and target's partitions) is killed mid-replay: the client finds the new
 * coordinator, the sends and reads follow the new leaders, and the target, read committed, holds
 * each source record exactly once. Its own daemon: a broker is killed.
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

const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i }))

it('the coordinator\'s broker killed mid-replay: each source record once in the target, read committed', async () => {
  const filled = await sluice(['produce', 'fo-src', '--key', '.id'], { env: d.env, input: lines(2000).join('\n') })
  expect(filled.exitCode, filled.stderr).toBe(0)
  const child = spawnSluice(['replay', 'fo-src', '--from', 'earliest', '--into', 'fo-dst', '--transactional-id', 'fo-replay', '--rate', '400/s', '--json'], { env: d.env })
  await until('a part of the replay committed', async () => ((await readTopic(d.port, 'fo-dst', 'read_committed').catch(() => [])).length >= 300 ? true : undefined), HANG_MS, 25)
  const coordinator = await transactionCoordinatorOf(d.port, 'fo-replay')
  // Asked of a broker that stays up (the first one, the bootstrap, may be the one killed).
  const alive = d.brokers.find((b) => b.id !== coordinator)!.port
  const killed = await sluice(['broker', 'kill', String(coordinator)], { env: d.env })
  expect(killed.exitCode, killed.stderr).toBe(0)
  const r = await child
  expect(r.exitCode, String(r.stderr)).toBe(0)
  expect(JSON.parse(String(r.stdout))).toMatchObject({ produced: 2000, stoppedBy: 'end' })
  await until('no open transaction in fo-dst', async () => ((await isStable(alive, 'fo-dst').catch(() => false)) ? true : undefined), HANG_MS, 50)
  const copied = (await readTopic(alive, 'fo-dst', 'read_committed')).map((x) => x.value).sort()
  const source = (await readTopic(alive, 'fo-src')).map((x) => x.value).sort()
  expect(copied).toEqual(source)
})
