/**
 * Consumer groups end to end on one 3-broker daemon (group.min.session.timeout.ms lowered so
 * members can ask for sessions shorter than the default): `sluice group list|describe|delete|reset` checked against
 * the offsets that follow; the refusal on an active group; `sluice consume --group` processes
 * splitting six partitions, rebalancing as one joins and as one is SIGKILLed, with a steady
 * producer whose acknowledged records are each consumed at least once (counted); the same with
 * kcat's balanced consumer and with kafkajs group consumers, and in groups mixing sluice members
 * with kcat (range) and with kafkajs (RoundRobinAssigner); last, the loss of the group coordinator's
 * broker under two members. Tests run concurrently, each on its own topics and groups.
 */
import { execa, type ResultPromise } from 'execa'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyBrokerConfigs, FAST_FAILOVER_CONFIGS, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, type SluiceResult, type TestDaemon } from '../helpers/index.js'
import { Admin as PlatformaticAdmin } from '@platformatic/kafka'
import { kcatPath } from '../interop/kcat.js'
import { decodeAssignment, encodeAssignment, encodeSubscription } from '../../src/client/consume/group-member/consumer-protocol.js'
import { RawClient } from '../support/raw-client.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let d: TestDaemon
let kafka: InstanceType<typeof Kafka>
let producer: kafkajs.Producer
/** For waiting on groups in the test's own process: a CLI process per look would load the CPU. */
let watcher: kafkajs.Admin

// Short, so that a SIGKILLed member's partitions move soon and a rebalance is soon known to a
// sluice member (it heartbeats every third of its session); long enough that a member on a loaded
// machine (test processes stalled for seconds) keeps its session: with 2 s, groups churned and
// never settled at a load average of 40.
const SESSION = '6s'
const SESSION_MS = 6_000

/** Members may ask for sessions shorter than the default 6 s minimum. */
const GROUP_CONFIGS = { 'group.min.session.timeout.ms': '1000' }

/** Sets the dynamic broker configs: AlterConfigs replaces the whole set, so send all of them. */
async function setBrokerConfigs(configs: Record<string, string>): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    })
  } finally {
    await admin.disconnect()
  }
}

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'groups-e2e', brokers: [d.bootstrap], logLevel: logLevel.NOTHING })
  await setBrokerConfigs(GROUP_CONFIGS)
  producer = kafka.producer()
  await producer.connect()
  watcher = kafka.admin()
  await watcher.connect()
})

afterAll(async () => {
  await watcher?.disconnect()
  await producer?.disconnect()
  if (d) await stopDaemon(d)
})

const run = (args: string[]): Promise<SluiceResult> => sluice(args, { home: d.home, env: d.env })
const spawn = (args: string[]): ResultPromise<{ reject: false }> => spawnSluice(args, { home: d.home, env: d.env, timeoutMs: HANG_MS })
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function json<T>(args: string[]): Promise<T> {
  const r = await run([...args, '--json'])
  if (r.exitCode !== 0) throw new Error(`sluice ${args.join(' ')}: exit ${r.exitCode}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

interface Described {
  state: string
  members: { memberId: string; clientId: string; host: string; assignment: { topic: string; partitions: number[] }[] }[]
  partitions: { topic: string; partition: number; committedOffset: number | null; endOffset: number; lag: number; lagMs: number | null }[]
  lag: number
}
interface Plan {
  executed: boolean
  partitions: { partition: number; currentOffset: number | null; newOffset: number; delta: number; spanMs: number | null }[]
}

const describeGroup = (g: string): Promise<Described> => json<Described>(['group', 'describe', g])
const committedOf = async (g: string): Promise<number[]> => (await describeGroup(g)).partitions.map((p) => p.committedOffset ?? -1)

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = HANG_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${last ? String(last) : ''}`)
    await sleep(200)
  }
}

/**
 * Until the group has committed to the end of all `partitions` of its topic: looked at through
 * the watcher, then confirmed by `sluice group describe`.
 */
function waitForLagZero(g: string, partitions: number): Promise<true> {
  return waitFor('lag 0', async () => {
    const [offsets] = await watcher.fetchOffsets({ groupId: g })
    const committed = offsets?.partitions ?? []
    if (committed.length !== partitions) return undefined
    const ends = await watcher.fetchTopicOffsets(offsets!.topic)
    if (!committed.every((c) => ends.find((e) => e.partition === c.partition)?.high === c.offset)) return undefined
    const x = await describeGroup(g)
    return x.partitions.length === partitions && x.lag === 0 ? true : undefined
  })
}

/**
 * Until the group is Stable with `members` members sharing all `partitions` partitions: looked at
 * through the watcher, then confirmed (and returned) by `sluice group describe`.
 */
function waitForStable(g: string, members: number, partitions: number): Promise<Described> {
  const ok = (state: string, assignments: number[][]): boolean => {
    const assigned = assignments.flat()
    return state === 'Stable' && assignments.length === members && assigned.length === partitions && new Set(assigned).size === partitions
  }
  return waitFor(`${g}: ${members} members`, async () => {
    const { groups } = await watcher.describeGroups([g])
    const seen = groups[0]!
    if (!ok(seen.state, seen.members.map((m) => decodeAssignment(m.memberAssignment).partitions.flatMap((a) => a.partitions)))) return undefined
    const x = await describeGroup(g)
    return ok(x.state, x.members.map((m) => m.assignment.flatMap((a) => a.partitions))) ? x : undefined
  })
}

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** `perPartition` records in each partition, value {"p":P,"i":I}, at `timestampMs`. */
async function fill(topic: string, partitions: number, perPartition: number, timestampMs: number, from = 0): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `{"p":${p},"i":${i + from}}`, timestamp: String(timestampMs) })),
    })
  }
}

/**
 * Records a steady producer gets acknowledged while a group is in one state (members, assignment)
 * before the test moves it on: a count, not a time, so that a loaded machine writes as many.
 */
const RECORDS_PER_STATE = 10

/** A producer sending {"id":n} records round the partitions until stopped; the ids acknowledged. */
function steadyProducer(topic: string, partitions: number): { moreAcked(count: number): Promise<void>; stop(): Promise<Set<number>> } {
  const acked = new Set<number>()
  let stopped = false
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      try {
        await producer.send({ topic, acks: -1, messages: [{ partition: n % partitions, value: `{"id":${n}}` }] })
        acked.add(n)
      } catch {
        // not acknowledged: need not be consumed
      }
      await sleep(15)
    }
  })()
  return {
    /** Resolves once `count` more records are acknowledged (from now). */
    async moreAcked(count) {
      const target = acked.size + count
      while (acked.size < target && !stopped) await sleep(15)
    },
    async stop() {
      stopped = true
      await loop
      return acked
    },
  }
}

/** A kafkajs group member with short sessions, pushing each record's id into `seen`. */
async function kafkajsMember(g: string, topic: string, seen: number[]): Promise<kafkajs.Consumer> {
  // kafkajs heartbeats between fetches: a short fetch wait lets it learn of a rebalance soon.
  const c = kafka.consumer({ groupId: g, sessionTimeout: SESSION_MS, heartbeatInterval: 300, rebalanceTimeout: 2 * SESSION_MS, maxWaitTimeInMs: 250 })
  await c.connect()
  await c.subscribe({ topic, fromBeginning: true })
  await c.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => void seen.push((JSON.parse(String(message.value)) as { id: number }).id) })
  return c
}

function idsIn(stdout: string): number[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { id: number }).id)
}

function expectAllConsumed(acked: Set<number>, seen: number[]): void {
  const got = new Set(seen)
  const missed = [...acked].filter((id) => !got.has(id))
  expect(missed).toEqual([])
  expect(acked.size).toBeGreaterThan(50)
}

describe.concurrent('group commands', () => {
  it('list, describe, the reset modes by time (and to the earliest) against the offsets that follow, delete', async () => {
    const topic = 'gr-orders'
    const g = 'gr-billing'
    await createTopic(topic, 3)
    const oldMs = Date.now() - 2 * 3_600_000 // two hours ago
    const midMs = Date.now() - 30 * 60_000 // thirty minutes ago
    await fill(topic, 3, 10, oldMs)
    await fill(topic, 3, 5, midMs, 10)

    const first = await run(['consume', topic, '--group', g, '--exit', '--format', 'value'])
    expect(first.exitCode).toBe(0)
    expect(first.stdout.trim().split('\n')).toHaveLength(45)
    expect((await json<{ groups: { group: string; state: string }[] }>(['group', 'list'])).groups).toContainEqual(
      expect.objectContaining({ group: g, state: 'Empty' }),
    )
    let x = await describeGroup(g)
    expect(x.state).toBe('Empty')
    expect(x.lag).toBe(0)
    expect(x.partitions.map((p) => [p.partition, p.committedOffset, p.endOffset, p.lag])).toEqual([
      [0, 15, 15, 0],
      [1, 15, 15, 0],
      [2, 15, 15, 0],
    ])
    // Nothing left: a second consume reads nothing.
    expect((await run(['consume', topic, '--group', g, '--exit'])).stdout).toBe('')

    // Dry run: the plan, and nothing changes. A position at the end is "now" (the CLI's clock): the
    // span reaches from the oldest record's time to it, past the newest record's time.
    const dry = await json<Plan>(['group', 'reset', g, '--topic', topic, '--to-earliest'])
    expect(dry.executed).toBe(false)
    expect(dry.partitions.map((p) => [p.currentOffset, p.newOffset, p.delta])).toEqual([
      [15, 0, 15],
      [15, 0, 15],
      [15, 0, 15],
    ])
    // A span in time is given (its size depends on the clock: the table's rounding is checked below).
    expect(typeof dry.partitions[0]!.spanMs).toBe('number')
    expect(await committedOf(g)).toEqual([15, 15, 15])

    // --to-earliest: lag in records and in time.
    expect((await json<Plan>(['group', 'reset', g, '--topic', topic, '--to-earliest', '--execute'])).executed).toBe(true)
    x = await describeGroup(g)
    expect(x.partitions.map((p) => p.committedOffset)).toEqual([0, 0, 0])
    expect(x.lag).toBe(45)
    // Lag in time: from the first unread record's timestamp (two hours ago) to the CLI's "now",
    // past the newest record's (thirty minutes ago); the table rounds it to 2h.
    for (const p of x.partitions) expect(typeof p.lagMs).toBe('number')
    const human = await run(['group', 'describe', g])
    expect(human.stdout).toMatch(/LAG TIME/)
    expect(human.stdout).toMatch(/ 2h /)

    // --to-datetime: the first record at or after the time (the second batch).
    await json(['group', 'reset', g, '--topic', topic, '--to-datetime', new Date(midMs - 60_000).toISOString(), '--execute'])
    expect(await committedOf(g)).toEqual([10, 10, 10])
    const tail = await run(['consume', topic, '--group', g, '--exit', '--format', 'value'])
    expect(tail.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i).sort()).toEqual(
      [10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14],
    )
    expect(await committedOf(g)).toEqual([15, 15, 15])

    // --by-duration: 1h before now falls between the batches; 3h before now is before all.
    await json(['group', 'reset', g, '--topic', topic, '--by-duration', '1h', '--execute'])
    expect(await committedOf(g)).toEqual([10, 10, 10])
    await json(['group', 'reset', g, '--topic', topic, '--by-duration', '3h', '--execute'])
    expect(await committedOf(g)).toEqual([0, 0, 0])

    // Delete; then it is gone.
    expect((await run(['group', 'delete', g])).exitCode).toBe(0)
    const gone = await run(['group', 'describe', g])
    expect(gone.exitCode).toBe(4)
    expect(gone.stderr).toMatch(/does not exist/)
    expect((await json<{ groups: { group: string }[] }>(['group', 'list'])).groups.map((x) => x.group)).not.toContain(g)
  })

  // Apart from the test above (its own topic and group), so that the two chains of CLI calls run side by side.
  it('the reset modes by offset (to an offset, shift by, to the latest) against the offsets that follow; usage errors', async () => {
    const topic = 'gr-offsets'
    const g = 'gr-offsets-g'
    await createTopic(topic, 3)
    await fill(topic, 3, 15, Date.now())
    expect((await run(['consume', topic, '--group', g, '--exit'])).exitCode).toBe(0)
    await json(['group', 'reset', g, '--topic', topic, '--to-earliest', '--execute'])
    expect(await committedOf(g)).toEqual([0, 0, 0])

    // --to-offset on one partition; --shift-by (clamped to the log); --to-latest.
    await json(['group', 'reset', g, '--topic', topic, '--to-offset', '7', '--partition', '1', '--execute'])
    expect(await committedOf(g)).toEqual([0, 7, 0])
    const shift = await json<Plan>(['group', 'reset', g, '--topic', topic, '--shift-by', '5', '--execute'])
    expect(shift.partitions.map((p) => p.delta)).toEqual([-5, -5, -5])
    expect(await committedOf(g)).toEqual([5, 12, 5])
    await json(['group', 'reset', g, '--topic', topic, '--shift-by', '-8', '--execute'])
    expect(await committedOf(g)).toEqual([0, 4, 0])
    await json(['group', 'reset', g, '--topic', topic, '--shift-by', '100', '--execute'])
    expect(await committedOf(g)).toEqual([15, 15, 15])
    await json(['group', 'reset', g, '--topic', topic, '--to-offset', '3', '--execute'])
    const latest = await json<Plan>(['group', 'reset', g, '--topic', topic, '--to-latest', '--execute'])
    expect(latest.partitions.map((p) => p.delta)).toEqual([-12, -12, -12])
    expect(await committedOf(g)).toEqual([15, 15, 15])
    // After --to-offset 3 a consume reads exactly 12 per partition.
    await json(['group', 'reset', g, '--topic', topic, '--to-offset', '3', '--execute'])
    const again = await run(['consume', topic, '--group', g, '--exit'])
    expect(again.stdout.trim().split('\n')).toHaveLength(36)

    // Usage errors (none changes anything: they run side by side).
    const refusals: [string[], number][] = [
      [['--topic', topic], 2],
      [['--topic', topic, '--to-earliest', '--to-latest'], 2],
      [['--topic', topic, '--by-duration', 'soon'], 2],
      [['--topic', 'gr-nope', '--to-earliest'], 4],
      [['--topic', topic, '--to-earliest', '--partition', '9'], 4],
    ]
    const refused = await Promise.all(refusals.map(([args]) => run(['group', 'reset', g, ...args])))
    expect(refused.map((r) => r.exitCode)).toEqual(refusals.map(([, exit]) => exit))
  })

  it('reset --execute and delete are refused while the group has active members; describe shows the member and its lag', async () => {
    const topic = 'gr-active'
    const g = 'gr-active-g'
    await createTopic(topic, 2)
    await fill(topic, 2, 5, Date.now() - 60_000)
    const member = spawn(['consume', topic, '--group', g, '--session-timeout', SESSION])
    const x = await waitForStable(g, 1, 2)
    expect(x.members[0]!.clientId).toBe('sluice-consume')
    expect(x.members[0]!.host).toMatch(/127\.0\.0\.1/)
    expect(x.members[0]!.assignment).toEqual([{ topic, partitions: [0, 1] }])
    await waitFor('commits', async () => ((await committedOf(g)).join() === '5,5' ? true : undefined))

    const refused = await run(['group', 'reset', g, '--topic', topic, '--to-earliest', '--execute'])
    expect(refused.exitCode).toBe(5)
    expect(refused.stderr).toMatch(/active member/)
    expect(await committedOf(g)).toEqual([5, 5])
    // The dry run still works.
    expect((await run(['group', 'reset', g, '--topic', topic, '--to-earliest'])).exitCode).toBe(0)
    const del = await run(['group', 'delete', g])
    expect(del.exitCode).toBe(5)
    expect(del.stderr).toMatch(/active members/)

    member.kill('SIGTERM')
    const r = await member
    expect(r.stdout.trim().split('\n')).toHaveLength(10)
    // Left at once (LeaveGroup): the group is Empty, and now lag builds up without a consumer.
    await waitFor('Empty', async () => ((await describeGroup(g)).state === 'Empty' ? true : undefined))
    const writtenMs = Date.now() - 5_000
    await fill(topic, 2, 3, writtenMs, 5)
    const lagged = await describeGroup(g)
    expect(lagged.lag).toBe(6)
    // Lag in time: from the unread records' timestamp (written 5 s in the past) to the CLI's "now".
    for (const p of lagged.partitions) {
      expect(p.lag).toBe(3)
      expect(typeof p.lagMs).toBe('number')
    }
    expect((await json<Plan>(['group', 'reset', g, '--topic', topic, '--to-earliest', '--execute'])).executed).toBe(true)
    expect(await committedOf(g)).toEqual([0, 0])
  })
})
// Consecutive concurrent blocks run together: the CLI-driven tests above and these side by side;
// the steady producers' block after the raw-client test below, on its own.
describe.concurrent('consume --group', () => {
  it('--from applies only where the group has no offset; --max and --exit commit exactly what was written; usage errors', async () => {
    const topic = 'gr-from'
    const g = 'gr-from-g'
    await createTopic(topic, 2)
    await fill(topic, 2, 3, Date.now())
    const none = await run(['consume', topic, '--group', g, '--from', 'latest', '--exit'])
    expect(none.exitCode).toBe(0)
    expect(none.stdout).toBe('')
    expect(await committedOf(g)).toEqual([3, 3])
    await fill(topic, 2, 2, Date.now(), 3)
    // The committed offsets win over --from.
    const next = await run(['consume', topic, '--group', g, '--from', 'earliest', '--exit', '--format', 'value'])
    expect(next.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i).sort()).toEqual([3, 3, 4, 4])
    expect(await committedOf(g)).toEqual([5, 5])
    // --max: exactly the records written are committed, the next run starts after them.
    await json(['group', 'reset', g, '--topic', topic, '--to-earliest', '--execute'])
    const three = await run(['consume', topic, '--group', g, '--max', '3', '--format', 'value'])
    expect(three.stdout.trim().split('\n')).toHaveLength(3)
    expect((await committedOf(g)).reduce((a, b) => a + b, 0)).toBe(3)
    const rest = await run(['consume', topic, '--group', g, '--exit', '--format', 'value'])
    expect(rest.stdout.trim().split('\n')).toHaveLength(7)
    expect(await committedOf(g)).toEqual([5, 5])

    const withTo = await run(['consume', topic, '--group', g, '--to', '3'])
    expect(withTo.exitCode).toBe(2)
    expect(withTo.stderr).toMatch(/--to does not apply with --group/)
    expect((await run(['consume', topic, '--group', g, '--partition', '0'])).exitCode).toBe(2)
    expect((await run(['consume', topic, '--group', g, '--session-timeout', 'long'])).exitCode).toBe(2)
    expect((await run(['consume', 'gr-none', '--group', g, '--exit'])).exitCode).toBe(4)
  })

  it('--exit while a producer writes: what was not written stays for the next run (nothing skipped)', async () => {
    const topic = 'gr-exit'
    const g = 'gr-exit-g'
    await createTopic(topic, 3)
    const steady = steadyProducer(topic, 3)
    await steady.moreAcked(RECORDS_PER_STATE)
    const seen: number[] = []
    for (let i = 0; i < 3; i++) {
      const r = await run(['consume', topic, '--group', g, '--exit', '--format', 'value'])
      expect(r.exitCode).toBe(0)
      seen.push(...idsIn(r.stdout))
    }
    const acked = await steady.stop()
    const last = await run(['consume', topic, '--group', g, '--exit', '--format', 'value'])
    seen.push(...idsIn(last.stdout))
    expectAllConsumed(acked, seen)
    // Each run started where the one before stopped: no record twice.
    expect(seen.length).toBe(new Set(seen).size)
  })
})

describe('group describe of other clients\' groups', () => {
  it('a member whose assignment carries null user data (as the Java consumer writes) is described with its partitions', async () => {
    const g = 'gr-java-g'
    await createTopic('gr-java', 2)
    const bootstrap = await RawClient.connect(d.port)
    let coordinator: RawClient | undefined
    try {
      const found = await bootstrap.request(ApiKey.FindCoordinator, 1, { key: g, keyType: 0 })
      expect(found.errorCode).toBe(ErrorCode.NONE)
      coordinator = await RawClient.connect(found.port, found.host)
      const joined = await coordinator.request(ApiKey.JoinGroup, 3, {
        groupId: g,
        // It never heartbeats: its session must outlast the describe below, however slow.
        sessionTimeoutMs: HANG_MS,
        rebalanceTimeoutMs: 30_000,
        memberId: '',
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription(['gr-java'], null) }],
      })
      expect(joined.errorCode).toBe(ErrorCode.NONE)
      const synced = await coordinator.request(ApiKey.SyncGroup, 3, {
        groupId: g,
        generationId: joined.generationId,
        memberId: joined.memberId,
        groupInstanceId: null,
        assignments: [{ memberId: joined.memberId, assignment: encodeAssignment([{ topic: 'gr-java', partitions: [1, 0] }], null) }],
      })
      expect(synced.errorCode).toBe(ErrorCode.NONE)
      const x = await describeGroup(g)
      expect(x.state).toBe('Stable')
      expect(x.members).toHaveLength(1)
      expect(x.members[0]!.assignment).toEqual([{ topic: 'gr-java', partitions: [0, 1] }])
      await coordinator.request(ApiKey.LeaveGroup, 3, { groupId: g, members: [{ memberId: joined.memberId, groupInstanceId: null }] })
    } finally {
      coordinator?.close()
      bootstrap.close()
    }
  })
})

describe.concurrent('consume --group with a steady producer', () => {
  it('three processes split six partitions, a fourth joins, one is SIGKILLed: every record consumed', async () => {
    const topic = 'gr-steady'
    const g = 'gr-steady-g'
    await createTopic(topic, 6)
    const steady = steadyProducer(topic, 6)
    const args = ['consume', topic, '--group', g, '--session-timeout', SESSION, '--format', 'value']
    const procs = [spawn(args), spawn(args), spawn(args)]
    const three = await waitForStable(g, 3, 6)
    for (const m of three.members) expect(m.assignment[0]!.partitions).toHaveLength(2)
    await steady.moreAcked(RECORDS_PER_STATE)
    procs.push(spawn(args))
    const four = await waitForStable(g, 4, 6)
    const before = new Set(four.members.map((m) => m.memberId))
    await steady.moreAcked(RECORDS_PER_STATE)
    procs[1]!.kill('SIGKILL')
    // After the session timeout its partitions move to the three left.
    const after = await waitForStable(g, 3, 6)
    for (const m of after.members) expect(before.has(m.memberId)).toBe(true)
    await steady.moreAcked(RECORDS_PER_STATE)
    const acked = await steady.stop()
    await waitForLagZero(g, 6)
    for (const p of procs) p.kill('SIGTERM')
    const results = await Promise.all(procs)
    expectAllConsumed(acked, results.flatMap((r) => idsIn(String(r.stdout))))
    for (const [i, r] of results.entries()) if (i !== 1) expect(r.exitCode).toBe(0)
  })

  it.skipIf(!kcatPath)('kcat -G members split the partitions and rebalance: every record consumed', async () => {
    const topic = 'gr-kcat'
    const g = 'gr-kcat-g'
    await createTopic(topic, 6)
    const steady = steadyProducer(topic, 6)
    const kcatArgs = ['-b', d.bootstrap, '-G', g, '-q', '-u', '-o', 'beginning', '-f', '%s\n', '-X', `session.timeout.ms=${SESSION_MS}`, '-X', 'heartbeat.interval.ms=300', topic]
    const start = (): ResultPromise<{ reject: false }> => execa(kcatPath!, kcatArgs, { reject: false, timeout: HANG_MS }) as ResultPromise<{ reject: false }>
    const procs = [start(), start()]
    await waitForStable(g, 2, 6)
    await steady.moreAcked(RECORDS_PER_STATE)
    procs.push(start())
    await waitForStable(g, 3, 6)
    await steady.moreAcked(RECORDS_PER_STATE)
    procs[0]!.kill('SIGTERM') // kcat leaves the group on SIGTERM
    await waitForStable(g, 2, 6)
    await steady.moreAcked(RECORDS_PER_STATE)
    const acked = await steady.stop()
    await waitForLagZero(g, 6)
    for (const p of procs) p.kill('SIGTERM')
    const results = await Promise.all(procs)
    expectAllConsumed(acked, results.flatMap((r) => idsIn(String(r.stdout))))
  })

  it.skipIf(!kcatPath)('sluice and kcat -G members share a group (both offer range): every record consumed', async () => {
    const topic = 'gr-mix-kcat'
    const g = 'gr-mix-kcat-g'
    await createTopic(topic, 6)
    const steady = steadyProducer(topic, 6)
    const sluiceArgs = ['consume', topic, '--group', g, '--session-timeout', SESSION, '--format', 'value']
    const kcatArgs = ['-b', d.bootstrap, '-G', g, '-q', '-u', '-o', 'beginning', '-f', '%s\n', '-X', `session.timeout.ms=${SESSION_MS}`, '-X', 'heartbeat.interval.ms=300', topic]
    const kcat = execa(kcatPath!, kcatArgs, { reject: false, timeout: HANG_MS })
    const procs = [spawn(sluiceArgs)]
    const two = await waitForStable(g, 2, 6)
    expect(new Set(two.members.map((m) => m.clientId)).size).toBe(2) // one of each
    expect((await json<{ protocol: string }>(['group', 'describe', g])).protocol).toBe('range')
    await steady.moreAcked(RECORDS_PER_STATE)
    procs.push(spawn(sluiceArgs))
    await waitForStable(g, 3, 6)
    await steady.moreAcked(RECORDS_PER_STATE)
    // A sluice member leaves (its partitions go to kcat and the other). Not kcat: on SIGTERM kcat
    // drops a record it has already polled (and whose offset it then commits).
    procs[0]!.kill('SIGTERM')
    await waitForStable(g, 2, 6)
    await steady.moreAcked(RECORDS_PER_STATE)
    const acked = await steady.stop()
    await waitForLagZero(g, 6)
    procs[1]!.kill('SIGTERM')
    kcat.kill('SIGTERM')
    const results = [...(await Promise.all(procs)), await kcat]
    expectAllConsumed(acked, results.flatMap((r) => idsIn(String(r.stdout))))
    for (const r of results.slice(0, 2)) expect(r.exitCode).toBe(0)
  })

  it('sluice and kafkajs members share a group (sluice also offers kafkajs\'s RoundRobinAssigner): every record consumed', async () => {
    const topic = 'gr-mix-kafkajs'
    const g = 'gr-mix-kafkajs-g'
    await createTopic(topic, 6)
    const steady = steadyProducer(topic, 6)
    const seen: number[] = []
    const member = (): Promise<kafkajs.Consumer> => kafkajsMember(g, topic, seen)
    const proc = spawn(['consume', topic, '--group', g, '--session-timeout', SESSION, '--format', 'value'])
    await waitForStable(g, 1, 6)
    const members = [await member(), await member()]
    await waitForStable(g, 3, 6)
    expect((await json<{ protocol: string }>(['group', 'describe', g])).protocol).toBe('RoundRobinAssigner')
    await members[0]!.disconnect()
    await waitForStable(g, 2, 6)
    await steady.moreAcked(RECORDS_PER_STATE)
    const acked = await steady.stop()
    await waitForLagZero(g, 6)
    await members[1]!.disconnect()
    proc.kill('SIGTERM')
    const r = await proc
    expect(r.exitCode).toBe(0)
    expectAllConsumed(acked, [...seen, ...idsIn(String(r.stdout))])
  })

  it('kafkajs group consumers split the partitions and rebalance: every record consumed', async () => {
    const topic = 'gr-kafkajs'
    const g = 'gr-kafkajs-g'
    await createTopic(topic, 6)
    const steady = steadyProducer(topic, 6)
    const seen: number[] = []
    const member = (): Promise<kafkajs.Consumer> => kafkajsMember(g, topic, seen)
    const members = [await member(), await member()]
    await waitForStable(g, 2, 6)
    members.push(await member())
    await waitForStable(g, 3, 6)
    await members[0]!.disconnect()
    await waitForStable(g, 2, 6)
    await steady.moreAcked(RECORDS_PER_STATE)
    const acked = await steady.stop()
    await waitForLagZero(g, 6)
    await Promise.all(members.slice(1).map((c) => c.disconnect()))
    expectAllConsumed(acked, seen)
  })
})

// After the concurrent tests: it kills a broker. The members find the new coordinator
// (FindCoordinator again after NOT_COORDINATOR or a closed connection) and carry on, or rejoin.
// The killed broker is fenced within FAST_FAILOVER_CONFIGS' session (1 s), not the default 9 s.
describe('consume --group across the loss of the group coordinator', () => {
  it('the members join the new coordinator and every record is consumed', async () => {
    const topic = 'gr-coord'
    const g = 'gr-coord-g'
    const args = ['consume', topic, '--group', g, '--session-timeout', SESSION, '--format', 'value']
    let steady!: ReturnType<typeof steadyProducer>
    let procs: ResultPromise<{ reject: false }>[] = []
    await applyBrokerConfigs(setBrokerConfigs, { ...GROUP_CONFIGS, ...FAST_FAILOVER_CONFIGS }, async () => {
      await createTopic(topic, 4)
      steady = steadyProducer(topic, 4)
      procs = [spawn(args), spawn(args)]
      await waitForStable(g, 2, 4)
    })
    const admin = new PlatformaticAdmin({ clientId: 'groups-e2e', bootstrapBrokers: [d.bootstrap] })
    const [coordinator] = await admin.findCoordinator({ keyType: 0, keys: [g] })
    await admin.close()
    expect((await run(['broker', 'kill', String(coordinator!.nodeId)])).exitCode).toBe(0)
    // A new coordinator, new memberships, and the partitions shared again.
    const after = await waitForStable(g, 2, 4)
    expect(after.members.length).toBe(2)
    await steady.moreAcked(RECORDS_PER_STATE)
    const acked = await steady.stop()
    await waitForLagZero(g, 4)
    for (const p of procs) p.kill('SIGTERM')
    const results = await Promise.all(procs)
    expectAllConsumed(acked, results.flatMap((r) => idsIn(String(r.stdout))))
    // They stop cleanly on SIGTERM (not killed by execa's force-kill 5 s later).
    for (const r of results) expect([r.exitCode, r.signal]).toEqual([0, undefined])
    expect((await run(['broker', 'start', String(coordinator!.nodeId)])).exitCode).toBe(0)
  })
})
