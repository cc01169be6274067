/**
 * Views that tell the truth during a failure: between a broker's crash and its fencing (the
 * session timeout) the metadata still names it as leader of its partitions.
 * - `consume`, `tail` and `replay` started in that window wait out the election (as kcat and
 *   `produce` do) instead of calling the whole cluster unreachable;
 * - `cluster status` and `cluster partitions` list those partitions as leader-down, as `sluice ui`
 *   does, and the exit code of `cluster status` says the cluster is not healthy.
 *
 * One 3-broker daemon with a session timeout of 20 s: wide enough to look at the window, short
 * enough for the reads' 30 s retry window. The three reads share one window: their topics put
 * partition 0's first replica on the same broker, and one crash of it is looked at by all three
 * at once (a window each would cost a session timeout each). The views' test looks at the window
 * itself, with several CLI calls that a loaded machine can stretch past 20 s: it widens the
 * session timeout to a hang's length while it looks. Each kill is restarted at the end.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Method, Params, Result, PartitionState as Partition } from '../../src/common/control-contract.js'
import { control as controlSocket, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'


const READ_TOPICS = ['fv-consume', 'fv-replay', 'fv-tail']
const TOPICS = [...READ_TOPICS, 'fv-status']
/** The read topics' partition 0 is led by this broker, so that one crash covers all three. */
const READS_VICTIM = 2
const RECORDS = 30

let d: TestDaemon
let admin: Admin

/** The control socket, straight: for waiting on the cluster, not for what is under test. */
const control = <M extends Method>(method: M, params: Params<M>): Promise<Result<M>> => controlSocket(d, method, params)
const partitions = async (topic: string): Promise<Partition[]> =>
  (await control('cluster.partitions', {})).partitions.filter((p) => p.topic === topic)
const run = (args: string[], timeoutMs = HANG_MS) => sluice(args, { home: d.home, env: d.env, timeoutMs })

const SESSION_TIMEOUT_MS = 20_000

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  const kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING })
  admin = kafka.admin()
  await admin.connect()
  await setSessionTimeout(SESSION_TIMEOUT_MS)
  // Replicas in rotation (as the default placement would), partition 0's first on READS_VICTIM.
  const rotated = (first: number): number[] => [0, 1, 2].map((i) => ((first - 1 + i) % 3) + 1)
  const replicaAssignment = [0, 1, 2].map((partition) => ({ partition, replicas: rotated(((READS_VICTIM - 1 + partition) % 3) + 1) }))
  await admin.createTopics({
    waitForLeaders: true,
    topics: TOPICS.map((topic) => (READ_TOPICS.includes(topic) ? { topic, replicaAssignment } : { topic, numPartitions: 3, replicationFactor: 3 })),
  })
  for (const topic of TOPICS) {
    const input = Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ key: `k${i}`, value: `v${i}`, partition: i % 3 })).join('\n')
    const r = await sluice(['produce', topic], { home: d.home, env: d.env, input: input + '\n' })
    expect(r.exitCode, r.stderr).toBe(0)
  }
})

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined)
  if (d) await stopDaemon(d)
})

/** Kills the leader of the topic's partition 0 (a crash: not fenced until the session timeout). */
async function killLeader(topic: string): Promise<number> {
  await until('a full cluster', async () => {
    const ps = await partitions(topic)
    return ps.every((p) => p.leader >= 0 && p.isr.length === 3) ? true : undefined
  })
  const victim = (await partitions(topic))[0]!.leader
  await control('broker.kill', { id: victim })
  return victim
}

/**
 * Sets the session timeout (AlterConfigs replaces the dynamic set: the other config goes each
 * time). No automatic preferred-leader elections: a killed broker is alive to the controller
 * until fenced, and an election could hand it back the leaderships an earlier restart had cost it
 * between two looks of the test that counts them.
 */
async function setSessionTimeout(ms: number): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: 4,
        name: '1',
        configEntries: [
          { name: 'broker.session.timeout.ms', value: String(ms) },
          { name: 'auto.leader.rebalance.enable', value: 'false' },
        ],
      },
    ],
  })
}

async function restart(victim: number): Promise<void> {
  await control('broker.start', { id: victim })
}

describe.concurrent('reads started while a crashed broker still leads', () => {
  // One crash for the three reads: each starts right after it, in the same window.
  let victim = -1
  beforeAll(async () => {
    victim = await killLeader('fv-consume')
    expect(victim).toBe(READS_VICTIM)
    for (const topic of READ_TOPICS) expect((await partitions(topic))[0]!.leader, topic).toBe(victim)
  })
  afterAll(async () => {
    if (victim > 0) await restart(victim)
  })

  it('consume --exit waits out the election and reads every record', async () => {
    const r = await run(['consume', 'fv-consume', '--exit'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(RECORDS)
  })

  it('tail (not a terminal) waits out the election and follows', async () => {
    const child = spawnSluice(['tail', 'fv-tail', '--from', 'earliest'], { home: d.home, env: d.env, timeoutMs: HANG_MS })
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const lines = (): string[] => out.split('\n').filter((l) => l !== '')
    // Exits 3 at once without the retry: wait for the records, or for the process to end.
    let ended = false
    void child.finally(() => (ended = true))
    await until('every record, or tail ending', () => (lines().length >= RECORDS || ended ? true : undefined), HANG_MS)
    child.kill('SIGTERM')
    const r = await child
    expect(r.exitCode, r.stderr).toBe(0)
    expect(lines()).toHaveLength(RECORDS)
  })

  it('replay waits out the election and writes every record', async () => {
    const r = await run(['replay', 'fv-replay', '--from', 'earliest'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(RECORDS)
  })
})

describe('cluster status and cluster partitions during a failure', () => {
  interface Status {
    healthy: boolean
    brokers: Array<{ id: number; state: string }>
    offline: Partition[]
    leaderDown: Partition[]
  }

  it('a healthy cluster: exit 0, healthy, nothing leader-down', async () => {
    await until('a full cluster', async () => {
      const r = await run(['cluster', 'status', '--json'])
      return r.exitCode === 0 ? r : undefined
    })
    const r = await run(['cluster', 'status', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ healthy: true, offline: [], leaderDown: [] })
  })

  it('before the crashed leader is fenced: its partitions are leader-down in both, and status exits 8', async () => {
    // The window must outlast the CLI calls below, however slow the machine: not fenced before a hang.
    await setSessionTimeout(HANG_MS)
    const victim = await killLeader('fv-status')
    try {
      const led = (await partitions('fv-status')).filter((p) => p.leader === victim).map((p) => `${p.topic}-${p.partition}`)
      const status = await run(['cluster', 'status', '--json'])
      expect(status.exitCode, status.stderr).toBe(8)
      const s = JSON.parse(status.stdout) as Status
      expect(s.healthy).toBe(false)
      expect(s.brokers.find((b) => b.id === victim)?.state).toBe('killed')
      const names = (ps: Partition[]): string[] => ps.filter((p) => p.topic === 'fv-status').map((p) => `${p.topic}-${p.partition}`)
      // The session timeout is far away: the metadata still names the victim as leader.
      expect(names(s.leaderDown)).toEqual(led)
      expect(s.leaderDown.every((p) => p.leader === victim)).toBe(true)

      const human = await run(['cluster', 'status'])
      expect(human.exitCode).toBe(8)
      expect(human.stdout).toMatch(/leader down\s+\d+ partitions?: .*fv-status-0/)
      expect(human.stdout).toContain('LEADER DOWN')

      const parts = await run(['cluster', 'partitions', '--topic', 'fv-status', '--json'])
      expect(parts.exitCode, parts.stderr).toBe(0)
      expect(names((JSON.parse(parts.stdout) as { leaderDown: Partition[] }).leaderDown)).toEqual(led)
      const partsHuman = await run(['cluster', 'partitions', '--topic', 'fv-status'])
      expect(partsHuman.stdout).toContain(`leader down (${led.length}, not fenced yet`)
      expect(partsHuman.stdout).toContain(led.join(', '))
    } finally {
      await restart(victim)
      await setSessionTimeout(SESSION_TIMEOUT_MS)
    }
  })
})
