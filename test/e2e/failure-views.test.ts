/**
 * Views that tell the truth during a failure: between a broker's crash and its fencing (the
 * session timeout) the metadata still names it as leader of its partitions.
 * - `consume`, `tail` and `replay` started in that window wait out the election (as kcat and
 *   `produce` do) instead of calling the whole cluster unreachable;
 * - `cluster status` and `cluster partitions` list those partitions as leader-down, as `sluice ui`
 *   does, and the exit code of `cluster status` says the cluster is not healthy.
 *
 * One 3-broker daemon that holds the window open: its session timeout is a hang's length while
 * the test looks, so that however slow the machine, nothing is fenced before the test has seen
 * what it looks at. The three reads share one window: their topics put partition 0's first replica
 * on the same broker, and one crash of it is looked at by all three. Once each read is connected
 * (the metadata it got names the crashed broker as leader), the session timeout drops to 2 s and
 * the controller fences the broker at its next tick: the reads wait out that election. Heartbeats
 * every 200 ms, so that a 2 s session fences only the crashed broker. Each kill is restarted at
 * the end.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Method, Params, Result, PartitionState as Partition } from '../../src/common/control-contract.js'
import { applyBrokerConfigs, control as controlSocket, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'


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

/** The session once the reads are in the window: the crashed broker is fenced at the next tick. */
const CLOSING_SESSION_TIMEOUT_MS = 2_000

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  const kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING })
  admin = kafka.admin()
  await admin.connect()
  // Replicas in rotation (as the default placement would), partition 0's first on READS_VICTIM.
  const rotated = (first: number): number[] => [0, 1, 2].map((i) => ((first - 1 + i) % 3) + 1)
  const replicaAssignment = [0, 1, 2].map((partition) => ({ partition, replicas: rotated(((READS_VICTIM - 1 + partition) % 3) + 1) }))
  await applyBrokerConfigs(setBrokerConfigs, brokerConfigs(HANG_MS), async () => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: TOPICS.map((topic) => (READ_TOPICS.includes(topic) ? { topic, replicaAssignment } : { topic, numPartitions: 3, replicationFactor: 3 })),
    })
    await Promise.all(
      TOPICS.map(async (topic) => {
        const input = Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ key: `k${i}`, value: `v${i}`, partition: i % 3 })).join('\n')
        const r = await sluice(['produce', topic], { home: d.home, env: d.env, input: input + '\n' })
        expect(r.exitCode, r.stderr).toBe(0)
      }),
    )
  })
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
 * The dynamic broker configs with this session timeout (AlterConfigs replaces the dynamic set:
 * every one is sent each time). No automatic preferred-leader elections: a killed broker is alive
 * to the controller until fenced, and an election could hand it back the leaderships an earlier
 * restart had cost it between two looks of the test that counts them.
 */
function brokerConfigs(sessionTimeoutMs: number): Record<string, string> {
  return {
    'broker.session.timeout.ms': String(sessionTimeoutMs),
    'broker.heartbeat.interval.ms': '200',
    'auto.leader.rebalance.enable': 'false',
  }
}

async function setBrokerConfigs(configs: Record<string, string>): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: 4, name: '1', configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
  })
}

const setSessionTimeout = (ms: number): Promise<void> => setBrokerConfigs(brokerConfigs(ms))

/** Open client connections over every broker (a killed one has none). */
const connections = async (): Promise<number> => (await control('broker.list', {})).brokers.reduce((n, b) => n + b.connections, 0)

async function restart(victim: number): Promise<void> {
  await control('broker.start', { id: victim })
}

describe('reads started while a crashed broker still leads', () => {
  // One crash for the three reads, each started and connected before the broker is fenced.
  let victim = -1
  let consume: ReturnType<typeof spawnSluice>
  let replay: ReturnType<typeof spawnSluice>
  let tail: ReturnType<typeof spawnSluice>
  let tailOut = ''
  let tailEnded = false
  const tailLines = (): string[] => tailOut.split('\n').filter((l) => l !== '')

  beforeAll(async () => {
    victim = await killLeader('fv-consume')
    expect(victim).toBe(READS_VICTIM)
    for (const topic of READ_TOPICS) expect((await partitions(topic))[0]!.leader, topic).toBe(victim)
    // One read at a time: each has connected (and so holds metadata naming the victim as leader,
    // a connection it keeps while it retries) before the next starts. The session is still long.
    // A read that ends instead fails its test below. The child comes back in an array: an async
    // function returning it would wait for it (it is a promise).
    const started = async (spawn: () => ReturnType<typeof spawnSluice>): Promise<[ReturnType<typeof spawnSluice>]> => {
      const before = await connections()
      const child = spawn()
      let ended = false
      void child.finally(() => (ended = true))
      await until('the read to connect', async () => (ended || (await connections()) > before ? true : undefined))
      return [child]
    }
    const opts = { home: d.home, env: d.env, timeoutMs: HANG_MS }
    consume = (await started(() => spawnSluice(['consume', 'fv-consume', '--exit'], opts)))[0]
    replay = (await started(() => spawnSluice(['replay', 'fv-replay', '--from', 'earliest'], opts)))[0]
    const spawnTail = (): ReturnType<typeof spawnSluice> => {
      const child = spawnSluice(['tail', 'fv-tail', '--from', 'earliest'], opts)
      child.stdout!.on('data', (chunk: Buffer) => (tailOut += chunk.toString()))
      // Exits 3 at once without the retry: the test waits for the records, or for the process to end.
      void child.finally(() => (tailEnded = true))
      return child
    }
    tail = (await started(spawnTail))[0]
    expect((await control('broker.list', {})).brokers.find((b) => b.id === victim)?.state, 'fenced before the reads started').toBe('killed')
    await setSessionTimeout(CLOSING_SESSION_TIMEOUT_MS)
  })
  afterAll(async () => {
    for (const child of [consume, replay, tail]) child?.kill('SIGKILL')
    await setSessionTimeout(HANG_MS)
    if (victim > 0) await restart(victim)
  })

  it('consume --exit waits out the election and reads every record', async () => {
    const r = await consume
    expect(r.exitCode, String(r.stderr)).toBe(0)
    expect(String(r.stdout).trim().split('\n')).toHaveLength(RECORDS)
  })

  it('tail (not a terminal) waits out the election and follows', async () => {
    await until('every record, or tail ending', () => (tailLines().length >= RECORDS || tailEnded ? true : undefined), HANG_MS)
    tail.kill('SIGTERM')
    const r = await tail
    expect(r.exitCode, String(r.stderr)).toBe(0)
    expect(tailLines()).toHaveLength(RECORDS)
  })

  it('replay waits out the election and writes every record', async () => {
    const r = await replay
    expect(r.exitCode, String(r.stderr)).toBe(0)
    expect(String(r.stdout).trim().split('\n')).toHaveLength(RECORDS)
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
    // The session is a hang's length: the window outlasts the CLI calls below, however slow the machine.
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
    }
  })
})
