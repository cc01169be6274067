/**
 * The simulation commands through the built binary: `broker list|kill|start|pause|resume`,
 * `failover`, `cluster status|partitions|events|elect-leaders`, `fault add|list|clear`. Every
 * command and flag, the --json shapes, the error paths, and the drills: a crash is noticed at the
 * session timeout and its leaderships move (the event log says so), a clean kill moves them at
 * once, a restarted broker rejoins the ISR, a paused broker makes clients time out and is fenced,
 * failover and preferred elections move leaders, a cut link shrinks the ISR, an injected error is
 * seen by kafkajs N times then stops, and the "local only" refusal.
 *
 * One 3-broker daemon for the file, made quick: session timeout 1.5 s, heartbeats every 300 ms,
 * replica lag 2 s, no automatic preferred elections (they would undo the drills). Tests run in
 * order, each on its own topic, and leave every broker up and every fault cleared.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Method, Params, Result, PartitionState as Partition } from '../../src/common/control-contract.js'
import { applyBrokerConfigs, control as controlSocket, freePortRange, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, tempHome, type SluiceResult, type TestDaemon } from '../helpers/index.js'

interface Broker {
  id: number
  host: string
  port: number
  state: string
  connections: number
  epoch: number
  leaderOf: number
  replicaOf: number
}
interface Event {
  /** null: a runtime event (a kill, a fault, a failover measure), numbered by seq. */
  offset: number | null
  seq?: number
  timestamp: string
  type: string
  message: string
  [k: string]: unknown
}
interface Move {
  topic: string
  partition: number
  from: number
  to: number
  leaderEpoch: number
}

const BROKER_CONFIGS = {
  'broker.session.timeout.ms': '1500',
  'broker.heartbeat.interval.ms': '300',
  'replica.lag.time.max.ms': '2000',
  'auto.leader.rebalance.enable': 'false',
}
const TOPICS = ['t-kill', 't-clean', 't-pause', 't-fo', 't-pref', 't-cut', 't-err']

let d: TestDaemon
let kafka: Kafka
let admin: Admin

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } })
  admin = kafka.admin()
  await admin.connect()
  // AlterConfigs replaces the whole set of dynamic broker configs: always send all we want.
  const setConfigs = (configs: Record<string, string>): Promise<unknown> =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 4, name: '1', configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    })
  await applyBrokerConfigs(setConfigs, BROKER_CONFIGS, () =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        ...TOPICS.map((topic) => ({ topic, numPartitions: topic === 't-cut' || topic === 't-err' ? 1 : 3, replicationFactor: 3 })),
        // On broker 3, never on 1: with its one replica on the broker a test kills, the partition
        // is offline (LEADER_NOT_AVAILABLE, as in Kafka), and kafkajs's admin fails every refresh
        // of all topics' metadata (createTopics starts with one) until that broker is back.
        { topic: 't-single', replicaAssignment: [{ partition: 0, replicas: [3] }] },
      ],
    }),
  )
})

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined)
  if (d) await stopDaemon(d)
})

/** Each test starts on a whole cluster: faults cleared, every broker running, every ISR full. */
beforeEach(async () => {
  await control('fault.clear', {})
  for (const b of await brokers()) {
    if (b.state === 'killed') await control('broker.start', { id: b.id })
    if (b.state === 'paused') await control('broker.resume', { id: b.id })
  }
  await waitFor('every broker up and every ISR full', async () => {
    const up = (await brokers()).every((b) => b.state === 'up')
    return up && (await partitions()).every((p) => p.isr.length === p.replicas.length && p.leader >= 0)
  })
})

function run(args: string[], env: Record<string, string> = {}): Promise<SluiceResult> {
  return sluice(args, { home: d.home, env: { ...d.env, ...env } })
}

function json<T>(r: SluiceResult): T {
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  return JSON.parse(r.stdout) as T
}

/** A --json failure: the exit code and {error: {code, message}} on stdout. */
function expectJsonError(r: SluiceResult, exit: number, code: string, phrase?: RegExp): void {
  expect(r.exitCode, r.stdout + r.stderr).toBe(exit)
  const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string } }
  expect(error.code).toBe(code)
  if (phrase) expect(error.message).toMatch(phrase)
}

/** A human failure: the exit code and one `sluice: ...` line on stderr, nothing on stdout. */
function expectFailure(r: SluiceResult, exit: number, phrase: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(exit)
  expect(r.stdout).toBe('')
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^sluice: /)
  expect(lines[0]).toMatch(phrase)
}

/** The control socket, straight: for waiting on the cluster, not for what is under test. */
const control = <M extends Method>(method: M, params: Params<M>): Promise<Result<M>> => controlSocket(d, method, params)
const brokers = async (): Promise<Broker[]> => (await control('broker.list', {})).brokers
const partitions = async (topic?: string): Promise<Partition[]> =>
  (await control('cluster.partitions', {})).partitions.filter((p) => topic === undefined || p.topic === topic)
const nextEventOffset = async (): Promise<number> =>
  (await control('cluster.events', {})).events.reduce((m, e) => Math.max(m, e.offset ?? -1), -1) + 1

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = HANG_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) {
      const state = JSON.stringify({ brokers: await brokers(), partitions: await partitions() })
      throw new Error(`timed out waiting for: ${what}; the cluster: ${state}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function events(since: number): Promise<Event[]> {
  const r = await run(['cluster', 'events', '--since', String(since)])
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Event)
}

describe('broker list and cluster status', () => {
  it('broker list: every broker, up, with its leaderships; * marks the controller', async () => {
    const list = json<{ controllerId: number; brokers: Broker[] }>(await run(['broker', 'list', '--json']))
    expect(list.controllerId).toBe(1)
    expect(list.brokers.map((b) => b.id)).toEqual([1, 2, 3])
    for (const b of list.brokers) {
      expect(b).toMatchObject({ host: '127.0.0.1', state: 'up' })
      expect(b.port).toBe(d.port + b.id - 1)
      expect(typeof b.connections).toBe('number')
      expect(b.epoch).toBeGreaterThanOrEqual(0)
      expect(b.replicaOf).toBeGreaterThan(0)
    }
    const total = (await partitions()).length
    expect(list.brokers.reduce((n, b) => n + b.leaderOf, 0)).toBe(total)

    const human = await run(['broker', 'list'])
    expect(human.exitCode, human.stderr).toBe(0)
    const lines = human.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^BROKER\s+ADDRESS\s+STATE\s+LEADER OF\s+REPLICA OF\s+EPOCH\s+METADATA LAG\s+CONNECTIONS$/)
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(new RegExp(`^1\\*\\s+127\\.0\\.0\\.1:${d.port}\\s+up\\s`))
  })

  it('cluster status: brokers, controller, no offline or under-replicated partitions when healthy', async () => {
    const status = json<{ brokers: Broker[]; controllerId: number; topics: number; partitions: number; offline: Partition[]; underReplicated: Partition[] }>(
      await run(['cluster', 'status', '--json']),
    )
    expect(status.controllerId).toBe(1)
    expect(status.brokers).toHaveLength(3)
    const all = await partitions()
    expect(status.topics).toBe(new Set(all.map((p) => p.topic)).size)
    expect(status.partitions).toBe(all.length)
    expect(status.offline).toEqual([])
    expect(status.underReplicated).toEqual([])
    const human = await run(['cluster', 'status'])
    expect(human.stdout).toMatch(/^controller\s+broker 1$/m)
    expect(human.stdout).toMatch(/^offline\s+none$/m)
    expect(human.stdout).toMatch(/^under-replicated\s+none$/m)
    expect(human.stdout).not.toMatch(/OFFLINE PARTITIONS|UNDER-REPLICATED PARTITIONS/)
  })

  it('cluster partitions: every partition, or one topic sorted by partition; unknown topic exits 4', async () => {
    const all = json<{ partitions: Partition[] }>(await run(['cluster', 'partitions', '--json'])).partitions
    expect(all).toHaveLength((await partitions()).length)
    const one = json<{ partitions: Partition[] }>(await run(['cluster', 'partitions', '--topic', 't-fo', '--json'])).partitions
    expect(one.map((p) => [p.topic, p.partition])).toEqual([
      ['t-fo', 0],
      ['t-fo', 1],
      ['t-fo', 2],
    ])
    for (const p of one) {
      expect(p.replicas).toHaveLength(3)
      expect(p.isr.sort()).toEqual([...p.replicas].sort())
      expect(p.replicas).toContain(p.leader)
    }
    const human = await run(['cluster', 'partitions', '--topic', 't-fo'])
    expect(human.stdout.split('\n')[0]).toMatch(/^TOPIC\s+PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR$/)
    expectJsonError(await run(['cluster', 'partitions', '--topic', 'nope', '--json']), 4, 'NOT_FOUND')
  })
})

describe('cluster.snapshot (what sluice ui shows)', () => {
  interface SnapshotPartition {
    topic: string
    partition: number
    internal: boolean
    leader: number
    logStartOffset: number
    highWatermark: number
    logEndOffset: number
    replicas: number[]
    replicaLogEndOffsets: Record<string, number | null>
  }
  interface Snapshot {
    timeMs: number
    controllerId: number
    brokers: (Broker & { requests: number; connections: number })[]
    partitions: SnapshotPartition[]
    offline: unknown[]
    underReplicated: unknown[]
    lastFailover: unknown
  }

  it("brokers with their request counts; each partition with its leader's offsets and every replica's log end", async () => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 't-snap', numPartitions: 1, replicationFactor: 3 }] })
    const producer = kafka.producer()
    await producer.connect()
    try {
      await producer.send({ topic: 't-snap', acks: -1, messages: Array.from({ length: 25 }, (_, i) => ({ value: `v${i}` })) })
    } finally {
      await producer.disconnect()
    }
    let snap!: Snapshot
    await waitFor('every replica of t-snap at offset 25', async () => {
      snap = await control('cluster.snapshot', {})
      const p = snap.partitions.find((q) => q.topic === 't-snap')
      return p !== undefined && Object.values(p.replicaLogEndOffsets).every((leo) => leo === 25)
    })
    expect(snap.controllerId).toBe(1)
    expect(Math.abs(snap.timeMs - Date.now())).toBeLessThan(60_000)
    expect(snap.brokers.map((b) => b.state)).toEqual(['up', 'up', 'up'])
    expect(snap.brokers.reduce((n, b) => n + b.requests, 0)).toBeGreaterThan(0)
    const p = snap.partitions.find((q) => q.topic === 't-snap')!
    expect(p).toMatchObject({ partition: 0, internal: false, logStartOffset: 0, highWatermark: 25, logEndOffset: 25 })
    expect(Object.keys(p.replicaLogEndOffsets).map(Number).sort()).toEqual([...p.replicas].sort())
    expect(snap.offline).toEqual([])
    const before = snap.brokers.find((b) => b.id === p.leader)!.requests
    await run(['topic', 'describe', 't-snap'])
    const after = (await control('cluster.snapshot', {})).brokers.find((b) => b.id === p.leader)!.requests
    expect(after).toBeGreaterThanOrEqual(before)
  })
})

describe('broker kill, start, pause, resume', () => {
  it('a crash: the controller fences the broker at the session timeout, its partitions get new leaders, and the event log shows it; start brings it back into the ISR', async () => {
    const victim = (await partitions('t-kill'))[0]!.leader
    const led = (await partitions()).filter((p) => p.leader === victim)
    const since = await nextEventOffset()
    const follow = spawnSluice(['cluster', 'events', '--follow', '--since', String(since)], { home: d.home, env: d.env })
    let followed = ''
    follow.stdout?.on('data', (chunk: Buffer) => (followed += chunk.toString()))

    const killed = json<{ id: number; clean: boolean; alreadyDown: boolean; moves: Move[]; brokers: Broker[] }>(
      await run(['broker', 'kill', String(victim), '--json']),
    )
    expect(killed).toMatchObject({ id: victim, clean: false, alreadyDown: false, moves: [] })
    expect(killed.brokers.find((b) => b.id === victim)?.state).toBe('killed')

    // After broker.session.timeout.ms the controller fences it and elects new leaders.
    await waitFor('new leaders for the killed broker', async () => (await partitions()).every((p) => p.leader !== victim))
    const after = await partitions()
    for (const p of led) {
      const now = after.find((q) => q.topic === p.topic && q.partition === p.partition)!
      // A partition with one replica has no one to take over: it is offline until the broker returns.
      if (p.replicas.length > 1) expect(now.leader).toBeGreaterThan(0)
      else expect(now.leader).toBe(-1)
      if (p.replicas.length > 1) expect(now.isr).not.toContain(victim)
      expect(now.leaderEpoch).toBeGreaterThan(p.leaderEpoch)
    }
    const log = await events(since)
    expect(log.every((e) => e.offset === null || e.offset >= since)).toBe(true)
    // The kill itself is a runtime event, before the fencing it leads to.
    const killedAt = log.findIndex((e) => e.type === 'broker.killed' && e.broker === victim)
    expect(killedAt).toBeGreaterThanOrEqual(0)
    expect(log[killedAt]).toMatchObject({ offset: null, clean: false })
    expect(log.findIndex((e) => e.type === 'broker.fenced' && e.broker === victim)).toBeGreaterThan(killedAt)
    for (const p of led) {
      const moved = log.find((e) => e.type === 'leader.changed' && e.topic === p.topic && e.partition === p.partition)
      expect(moved, `${p.topic}-${p.partition}`).toMatchObject({ from: victim, unclean: false })
      expect(moved!.message).toMatch(new RegExp(`moved from ${victim} to (\\d|none \\(offline\\)) at epoch \\d+`))
    }

    // The same events arrived live on --follow.
    await waitFor('--follow to print the fencing', async () => followed.includes('"broker.fenced"'))
    const live = followed
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Event)
    expect(live.some((e) => e.type === 'broker.fenced' && e.broker === victim)).toBe(true)
    expect(live.some((e) => e.type === 'broker.killed' && e.broker === victim)).toBe(true)
    const offsets = live.map((e) => `${e.offset ?? `seq ${e.seq}`}/${e.type}`)
    expect(new Set(offsets).size, 'no event printed twice').toBe(offsets.length)
    follow.kill('SIGINT')
    expect((await follow).exitCode).toBe(130)

    // Killing it again is not an error.
    const again = json<{ alreadyDown: boolean }>(await run(['broker', 'kill', String(victim), '--json']))
    expect(again.alreadyDown).toBe(true)
    const againHuman = await run(['broker', 'kill', String(victim)])
    expect(againHuman.exitCode).toBe(0)
    expect(againHuman.stderr).toMatch(/already down/)

    const sinceStart = await nextEventOffset()
    const started = json<{ id: number; was: string; brokers: Broker[] }>(await run(['broker', 'start', String(victim), '--json']))
    expect(started).toMatchObject({ id: victim, was: 'killed' })
    expect(started.brokers.find((b) => b.id === victim)?.state).toBe('up')
    await waitFor('the restarted broker back in every ISR', async () =>
      (await partitions()).every((p) => p.isr.includes(victim) || !p.replicas.includes(victim)),
    )
    const rejoin = await events(sinceStart)
    expect(rejoin.some((e) => e.type === 'broker.unfenced' && e.broker === victim)).toBe(true)
    expect(rejoin.some((e) => e.type === 'isr.expanded' && (e.to as number[]).includes(victim))).toBe(true)
    const startAgain = await run(['broker', 'start', String(victim)])
    expect(startAgain.exitCode).toBe(0)
    expect(startAgain.stderr).toMatch(/already running/)
  })

  it('a clean kill moves leadership before the broker stops', async () => {
    const victim = (await partitions('t-clean'))[0]!.leader
    const led = (await partitions()).filter((p) => p.leader === victim)
    const since = await nextEventOffset()
    const r = json<{ clean: boolean; moves: Move[]; brokers: Broker[] }>(await run(['broker', 'kill', String(victim), '--clean', '--json']))
    expect(r.clean).toBe(true)
    // No waiting: the moves are done when the command returns.
    expect((await partitions()).filter((p) => p.leader === victim)).toEqual([])
    expect(r.moves.map((m) => `${m.topic}-${m.partition}`).sort()).toEqual(led.map((p) => `${p.topic}-${p.partition}`).sort())
    for (const m of r.moves) {
      expect(m.from).toBe(victim)
      expect(m.to).not.toBe(victim)
    }
    expect(r.brokers.find((b) => b.id === victim)).toMatchObject({ state: 'killed', leaderOf: 0 })
    const log = await events(since)
    expect(log.filter((e) => e.type === 'leader.changed' && e.from === victim).map((e) => e.reason)).toEqual(
      led.map(() => `broker ${victim} shut down`),
    )
    expect(log.find((e) => e.type === 'broker.killed')).toMatchObject({ broker: victim, clean: true, offset: null })
    // Leadership moved between live brokers: no leaderless time. (A partition written to in the
    // last 5 s is told only once writes resume, or 30 s later: those may not be in yet.)
    const measured = log.filter((e) => e.type === 'failover.measured' && e.from === victim)
    const ledNames = led.map((p) => `${p.topic}-${p.partition}`)
    expect(measured.length).toBeGreaterThan(0)
    for (const m of measured) {
      expect(ledNames).toContain(`${m.topic}-${m.partition}`)
      expect(m.noLeaderMs).toBe(0)
    }

    await run(['broker', 'start', String(victim)])
    const human = await run(['broker', 'kill', String(victim), '--clean'])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stderr).toMatch(new RegExp(`broker ${victim} shut down cleanly; \\d+ leaderships? moved first`))
  })

  it('pause: connections stay open but clients time out, and the controller fences the broker; resume brings it back', async () => {
    const victim = (await partitions('t-pause'))[0]!.leader
    const since = await nextEventOffset()
    const paused = json<{ id: number; was: string; brokers: Broker[] }>(await run(['broker', 'pause', String(victim), '--json']))
    expect(paused).toMatchObject({ id: victim, was: 'up' })
    expect(paused.brokers.find((b) => b.id === victim)?.state).toBe('paused')

    // A client of the paused broker connects, then hears nothing until its request timeout.
    const port = d.port + victim - 1
    const client = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 1000,
      retry: { retries: 0 },
    }).admin()
    await expect(client.connect()).rejects.toThrow(/timed? ?out/i)
    await client.disconnect().catch(() => undefined)

    await waitFor('the paused broker fenced', async () => (await events(since)).some((e) => e.type === 'broker.fenced' && e.broker === victim))
    await waitFor('its leaderships moved', async () => (await partitions()).every((p) => p.leader !== victim))
    expect((await brokers()).find((b) => b.id === victim)?.state).toBe('paused')
    const pausedAgain = await run(['broker', 'pause', String(victim)])
    expect(pausedAgain.stderr).toMatch(/already paused/)

    const resumed = json<{ was: string }>(await run(['broker', 'resume', String(victim), '--json']))
    expect(resumed.was).toBe('paused')
    const told = (await events(since)).filter((e) => e.offset === null && e.broker === victim).map((e) => e.type)
    expect(told).toEqual(['broker.paused', 'broker.resumed'])
    await waitFor('the resumed broker up again', async () => (await brokers()).find((b) => b.id === victim)?.state === 'up')
    const resumeAgain = await run(['broker', 'resume', String(victim)])
    expect(resumeAgain.exitCode).toBe(0)
    expect(resumeAgain.stderr).toMatch(/not paused/)
  })

  it('the controller clients see is a live broker: kafkajs creates a topic while broker 1 is killed', async () => {
    json(await run(['broker', 'kill', '1', '--json']))
    // broker list marks the active controller: the quorum leader the other two voters elect.
    const controllerId = async (): Promise<number> => json<{ controllerId: number; brokers: Broker[] }>(await run(['broker', 'list', '--json'])).controllerId
    await waitFor('a new quorum leader', async () => [2, 3].includes(await controllerId()))
    // kafkajs sends CreateTopics to the controller Metadata names (KRaft brokers name a live broker).
    // Retries for LEADER_NOT_AVAILABLE while the new partition's election runs (slow under load).
    const other = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [`127.0.0.1:${d.port + 1}`], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 2_000 } }).admin()
    await other.connect()
    try {
      expect(await other.createTopics({ topics: [{ topic: 't-while-1-down', numPartitions: 1, replicationFactor: 2 }] })).toBe(true)
    } finally {
      await other.disconnect()
    }
    expect(await partitions('t-while-1-down')).toHaveLength(1)
  })

  it('errors: unknown broker exits 4, a bad id exits 2', async () => {
    const verbs = ['kill', 'start', 'pause', 'resume']
    const [unknown, bad, missing] = await Promise.all([
      Promise.all(verbs.map((verb) => run(['broker', verb, '9', '--json']))),
      Promise.all(verbs.map((verb) => run(['broker', verb, 'two']))),
      run(['broker', 'kill']),
    ])
    for (const r of unknown) expectJsonError(r, 4, 'NOT_FOUND', /no broker 9/)
    for (const r of bad) expectFailure(r, 2, /bad broker id "two"/)
    expectFailure(missing, 2, /Missing 1 required arg/)
  })
})

describe('failover and preferred elections', () => {
  it('failover TOPIC:PARTITION moves the leader to the next in-sync replica, or to --to', async () => {
    const [p0, p1] = await partitions('t-fo')
    const r = json<{ moves: Move[] }>(await run(['failover', 't-fo:0', '--json']))
    expect(r.moves).toHaveLength(1)
    expect(r.moves[0]).toMatchObject({ topic: 't-fo', partition: 0, from: p0!.leader })
    expect(r.moves[0]!.to).not.toBe(p0!.leader)
    expect(p0!.isr).toContain(r.moves[0]!.to)
    expect(r.moves[0]!.leaderEpoch).toBe(p0!.leaderEpoch + 1)
    expect((await partitions('t-fo'))[0]!.leader).toBe(r.moves[0]!.to)

    const target = p1!.isr.find((id) => id !== p1!.leader)!
    const to = json<{ moves: Move[] }>(await run(['failover', 't-fo:1', '--to', String(target), '--json']))
    expect(to.moves[0]).toMatchObject({ partition: 1, from: p1!.leader, to: target })

    const human = await run(['failover', 't-fo:2'])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stderr).toMatch(/moved the leadership of 1 partition/)
    expect(human.stdout).toMatch(/^TOPIC\s+PARTITION\s+FROM\s+TO\s+EPOCH\nt-fo\s+2\s+\d\s+\d\s+\d+$/)
  })

  it('failover TOPIC moves every partition its busiest leader leads', async () => {
    const before = await partitions('t-fo')
    const counts = new Map<number, number>()
    for (const p of before) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1)
    const busiest = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0]
    const r = json<{ moves: Move[] }>(await run(['failover', 't-fo', '--json']))
    expect(r.moves.map((m) => m.partition)).toEqual(before.filter((p) => p.leader === busiest).map((p) => p.partition))
    for (const m of r.moves) expect(m.from).toBe(busiest)
  })

  it('failover refusals and errors', async () => {
    const p0 = (await partitions('t-fo'))[0]!
    const cases: Array<[string[], (r: SluiceResult) => void]> = [
      [['t-single:0', '--json'], (r) => expectJsonError(r, 7, 'FAILOVER_REFUSED', /no other live in-sync replica/)],
      [['t-single'], (r) => expectFailure(r, 7, /no other live in-sync replica/)],
      [['t-fo:0', '--to', String(p0.leader), '--json'], (r) => expectJsonError(r, 7, 'FAILOVER_REFUSED')],
      [['t-fo:0', '--to', '9', '--json'], (r) => expectJsonError(r, 4, 'NOT_FOUND', /no broker 9/)],
      [['nope:0', '--json'], (r) => expectJsonError(r, 4, 'NOT_FOUND', /no topic nope/)],
      [['t-fo:7', '--json'], (r) => expectJsonError(r, 4, 'NOT_FOUND', /no partition 7/)],
      [['t-fo:x'], (r) => expectFailure(r, 2, /expected TOPIC or TOPIC:PARTITION/)],
      [['t-fo:0', '--to', 'x'], (r) => expectFailure(r, 2, /--to/)],
    ]
    const results = await Promise.all(cases.map(([args]) => run(['failover', ...args])))
    results.forEach((r, i) => cases[i]![1](r))
  })

  it('cluster elect-leaders --preferred moves leadership back to the first replica', async () => {
    await run(['failover', 't-pref:0'])
    await run(['failover', 't-pref:1'])
    const off = (await partitions('t-pref')).filter((p) => p.leader !== p.replicas[0])
    expect(off.length).toBeGreaterThanOrEqual(2)
    const r = json<{ moved: number; moves: Move[] }>(await run(['cluster', 'elect-leaders', '--preferred', '--topic', 't-pref', '--json']))
    expect(r.moved).toBe(off.length)
    expect(r.moves.map((m) => m.partition).sort()).toEqual(off.map((p) => p.partition).sort())
    for (const p of await partitions('t-pref')) expect(p.leader).toBe(p.replicas[0])
    const none = json<{ moved: number; moves: Move[] }>(await run(['cluster', 'elect-leaders', '--preferred', '--topic', 't-pref', '--json']))
    expect(none).toEqual({ moved: 0, moves: [] })

    // Without --topic: every topic (t-fo was left off its preferred leaders above).
    await run(['failover', 't-pref:2'])
    const all = await run(['cluster', 'elect-leaders', '--preferred'])
    expect(all.exitCode, all.stderr).toBe(0)
    expect(all.stderr).toMatch(/moved \d+ leaderships? to the preferred replicas/)
    for (const p of await partitions()) expect(p.leader).toBe(p.replicas[0])

    expectFailure(await run(['cluster', 'elect-leaders']), 2, /--preferred/)
    expectJsonError(await run(['cluster', 'elect-leaders', '--preferred', '--topic', 'nope', '--json']), 4, 'NOT_FOUND')
  })
})

describe('faults', () => {
  it('a cut link between the leader and a follower shrinks the ISR; clearing it heals', async () => {
    const p = (await partitions('t-cut'))[0]!
    // Not the quorum leader's broker, when the partition's leader is not it: a broker cut off from
    // the active controller is fenced at the session timeout, and its leaderships move.
    const { leaderId: quorumLeader } = json<{ leaderId: number }>(await run(['cluster', 'quorum', '--json']))
    const follower = p.replicas.find((id) => id !== p.leader && id !== quorumLeader) ?? p.replicas.find((id) => id !== p.leader)!
    const since = await nextEventOffset()
    const added = json<{ fault: { id: number; kind: string; link: number[]; seed: number } }>(
      await run(['fault', 'add', 'cut', '--link', `${p.leader}-${follower}`, '--seed', '5', '--json']),
    )
    expect(added.fault).toMatchObject({ kind: 'cut', link: [p.leader, follower], seed: 5 })
    await waitFor('the cut follower out of the ISR', async () => !(await partitions('t-cut'))[0]!.isr.includes(follower))
    const now = (await partitions('t-cut'))[0]!
    expect(now.leader).toBe(p.leader)
    const shrunk = (await events(since)).find((e) => e.type === 'isr.shrunk' && e.topic === 't-cut')
    expect(shrunk?.to).not.toContain(follower)
    const statusRun = await run(['cluster', 'status', '--json'])
    // Not healthy: exit 8, the status on stdout all the same.
    expect(statusRun.exitCode, statusRun.stderr).toBe(8)
    const status = JSON.parse(statusRun.stdout) as { underReplicated: Partition[]; healthy: boolean }
    expect(status.healthy).toBe(false)
    expect(status.underReplicated.some((u) => u.topic === 't-cut')).toBe(true)
    const human = await run(['cluster', 'status'])
    expect(human.exitCode).toBe(8)
    expect(human.stdout).toMatch(/^under-replicated\s+\d+ partitions?$/m)
    expect(human.stdout).toMatch(/UNDER-REPLICATED PARTITIONS/)

    const cleared = json<{ cleared: number }>(await run(['fault', 'clear', String(added.fault.id), '--json']))
    expect(cleared.cleared).toBe(1)
    await waitFor('the follower back in the ISR', async () => (await partitions('t-cut'))[0]!.isr.includes(follower))
  })

  it('an injected Produce error is seen by kafkajs N times, then stops', async () => {
    const leader = (await partitions('t-err'))[0]!.leader
    const added = json<{ fault: { id: number; kind: string; broker: number; api: string; error: string; count: number; remaining: number } }>(
      await run(['fault', 'add', 'error', '--broker', String(leader), '--api', 'produce', '--error', 'not_leader_or_follower', '--count', '3', '--json']),
    )
    expect(added.fault).toMatchObject({ kind: 'error', broker: leader, api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', count: 3, remaining: 3 })
    const producer = kafka.producer({ retry: { retries: 0 } })
    await producer.connect()
    try {
      const send = (): Promise<unknown> => producer.send({ topic: 't-err', acks: -1, messages: [{ partition: 0, value: 'x' }] })
      await expect(send()).rejects.toThrow(/leader/i)
      const listed = json<{ faults: Array<{ id: number; remaining: number }> }>(await run(['fault', 'list', '--json']))
      expect(listed.faults).toEqual([expect.objectContaining({ id: added.fault.id, remaining: 2 })])
      await expect(send()).rejects.toThrow(/leader/i)
      await expect(send()).rejects.toThrow(/leader/i)
      expect(json<{ faults: unknown[] }>(await run(['fault', 'list', '--json'])).faults).toEqual([])
      await send()
      await send()
    } finally {
      await producer.disconnect()
    }
    const offsets = await admin.fetchTopicOffsets('t-err')
    expect(offsets[0]!.high).toBe('2')
  })

  it('an error injected into DescribeConfigs (any served API) reaches @platformatic/kafka through topic describe', async () => {
    // The client asks one broker, whichever it picks: each broker answers its next one with the error.
    const brokers = [1, 2, 3]
    for (const b of brokers) {
      const added = await run(['fault', 'add', 'error', '--broker', String(b), '--api', 'describe-configs', '--error', 'TOPIC_AUTHORIZATION_FAILED'])
      expect(added.exitCode, added.stderr).toBe(0)
      expect(added.stderr).toMatch(/TOPIC_AUTHORIZATION_FAILED on the next 1 DescribeConfigs request\(s\) to broker \d/)
    }
    const refused = await run(['topic', 'describe', 't-err'])
    expect(refused.exitCode).not.toBe(0)
    expect(refused.stderr).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized/i)
    // Exactly one of them was used: by the one DescribeConfigs the describe sent.
    expect(json<{ faults: unknown[] }>(await run(['fault', 'list', '--json'])).faults).toHaveLength(brokers.length - 1)
    expect((await run(['fault', 'clear'])).exitCode).toBe(0)
    const described = await run(['topic', 'describe', 't-err'])
    expect(described.exitCode, described.stderr).toBe(0)
  })

  it('latency faults, list, clear, seeds and the flag errors', async () => {
    const a = json<{ fault: Record<string, unknown> }>(
      await run(['fault', 'add', 'latency', '--broker', '2', '--ms', '50', '--jitter', '20', '--seed', '7', '--json']),
    ).fault
    expect(a).toMatchObject({ kind: 'latency', broker: 2, latencyMs: 50, jitterMs: 20, seed: 7 })
    expect(typeof a.createdAt).toBe('string')
    const b = await run(['fault', 'add', 'latency', '--link', '1-2', '--ms', '100'])
    expect(b.exitCode, b.stderr).toBe(0)
    const bId = Number(b.stdout.trim())
    expect(b.stderr).toMatch(new RegExp(`added fault ${bId}: latency 100 ms on the link 1-2 \\(seed \\d+\\)`))
    const c = await run(['fault', 'add', 'error', '--broker', '1', '--api', 'list-offsets', '--error', '6'])
    expect(c.exitCode, c.stderr).toBe(0)

    const cases: Array<[string[], number, RegExp]> = [
      [['latency', '--ms', '5'], 2, /either --broker ID .* or --link A-B/],
      [['latency', '--ms', '5', '--broker', '1', '--link', '1-2'], 2, /either --broker/],
      [['latency', '--broker', '1'], 2, /Missing required flag ms/],
      [['latency', '--broker', '9', '--ms', '5'], 4, /no broker 9/],
      [['cut', '--link', '1-1'], 2, /two different brokers/],
      [['cut', '--link', '1_2'], 2, /expected two broker ids/],
      [['cut', '--link', '1-9'], 4, /no broker 9/],
      [['error', '--broker', '1', '--api', 'nope', '--error', '6'], 2, /unknown Kafka API "nope"/],
      [['error', '--broker', '1', '--api', 'fetch', '--error', 'NOPE'], 2, /unknown Kafka error "NOPE"/],
      [['error', '--broker', '1', '--api', 'fetch', '--error', '6', '--count', '0'], 2, /--count/],
    ]
    // The refusals run beside the listing: none of them may add a fault.
    const [listedJson, table, badId, ...refused] = await Promise.all([
      run(['fault', 'list', '--json']),
      run(['fault', 'list']),
      run(['fault', 'clear', 'x']),
      ...cases.map(([args]) => run(['fault', 'add', ...args])),
    ])
    refused.forEach((r, i) => expectFailure(r, cases[i]![1], cases[i]![2]))
    expectFailure(badId, 2, /bad fault id/)
    const listed = json<{ faults: Array<Record<string, unknown>> }>(listedJson).faults
    expect(listed.map((f) => f.id)).toEqual([a.id, bId, Number(c.stdout.trim())])
    expect(listed[1]).toMatchObject({ kind: 'latency', link: [1, 2], latencyMs: 100 })
    expect(listed[2]).toMatchObject({ kind: 'error', broker: 1, api: 'ListOffsets', error: 'NOT_LEADER_OR_FOLLOWER', count: 1, remaining: 1 })
    expect(table.stdout).toMatch(/^ID\s+KIND\s+FAULT\s+SEED\s+SINCE$/m)
    expect(table.stdout).toMatch(/latency 50±20 ms on broker 2\s+7\s/)
    expect(table.stdout).toMatch(/latency 100 ms on the link 1-2/)
    expect(table.stdout).toMatch(/NOT_LEADER_OR_FOLLOWER on the next 1 ListOffsets request\(s\) to broker 1/)

    expect(json<{ cleared: number }>(await run(['fault', 'clear', String(a.id), '--json']))).toEqual({ cleared: 1 })
    expectJsonError(await run(['fault', 'clear', String(a.id), '--json']), 4, 'NOT_FOUND', /no fault/)
    const all = await run(['fault', 'clear'])
    expect(all.stderr).toMatch(/cleared 2 faults/)
    const [emptyJson, empty] = await Promise.all([run(['fault', 'list', '--json']), run(['fault', 'list'])])
    expect(json<{ faults: unknown[] }>(emptyJson).faults).toEqual([])
    expect(empty.stderr).toMatch(/no faults/)
  })
})

describe('cluster events', () => {
  it('prints the metadata log as JSON lines from --since, with or without --json', async () => {
    const all = await events(0)
    expect(all.length).toBeGreaterThan(5)
    expect(all.find((e) => e.offset !== null)).toMatchObject({ offset: 0, type: 'broker.registered' })
    // The quorum's first election, before anything is written, is a runtime event (no offset).
    expect(all.find((e) => e.type === 'quorum.leader')).toMatchObject({ offset: null, previousLeaderId: null })
    for (const e of all) {
      expect(typeof e.timestamp).toBe('string')
      expect(typeof e.message).toBe('string')
    }
    // Metadata records in offset order, runtime events (offset null) in seq order, all in time order.
    const offsets = all.flatMap((e) => (e.offset === null ? [] : [e.offset]))
    expect([...offsets].sort((x, y) => x - y)).toEqual(offsets)
    const seqs = all.flatMap((e) => (e.offset === null ? [e.seq!] : []))
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs)
    const times = all.map((e) => e.timestamp)
    expect([...times].sort()).toEqual(times)
    expect(all.some((e) => e.type === 'topic.created' && e.topic === 't-fo')).toBe(true)
    expect(all.some((e) => e.type === 'fault.added')).toBe(true)
    const last = offsets.at(-1)!
    const [fromLast, beyond, withJson, bad] = await Promise.all([
      events(last),
      events(last + 1000),
      run(['cluster', 'events', '--since', String(last), '--json']),
      run(['cluster', 'events', '--since', 'x']),
    ])
    expect(fromLast.length).toBeGreaterThan(0)
    // From the record at `last` on: its events, and runtime events after it.
    expect(fromLast.some((e) => e.offset === last)).toBe(true)
    expect(fromLast.every((e) => e.offset === last || e.offset === null)).toBe(true)
    expect(beyond.every((e) => e.offset === null)).toBe(true)
    const lines = withJson.stdout.split('\n').filter((l) => l !== '')
    expect(lines.map((l) => JSON.parse(l) as Event)).toEqual(fromLast)
    expectFailure(bad, 2, /--since/)
  })

  it('--follow ends with a note when the daemon stops', async () => {
    const temp = await tempHome()
    const port = await freePortRange(1)
    const env = { SLUICE_PORT: String(port), SLUICE_BROKERS: '1' }
    try {
      const follow = spawnSluice(['cluster', 'events', '--follow'], { home: temp.path, env })
      let out = ''
      follow.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
      // The first use started the daemon; wait for the history to be printed.
      await waitFor('the history', async () => out.includes('"broker.unfenced"'))
      const stop = await sluice(['daemon', 'stop'], { home: temp.path, env })
      expect(stop.exitCode).toBe(0)
      const r = await follow
      expect(r.exitCode).toBe(0)
      expect(String(r.stderr)).toMatch(/started the local daemon/)
      expect(String(r.stderr)).toMatch(/the daemon stopped/)
    } finally {
      await temp.cleanup()
    }
  })
})

describe('local only', () => {
  const commands = [
    ['broker', 'list'],
    ['broker', 'kill', '1'],
    ['broker', 'start', '1'],
    ['broker', 'pause', '1'],
    ['broker', 'resume', '1'],
    ['broker', 'add'],
    ['broker', 'remove', '1'],
    ['failover', 't-fo:0'],
    ['cluster', 'status'],
    ['cluster', 'partitions'],
    ['cluster', 'events'],
    ['cluster', 'elect-leaders', '--preferred'],
    ['cluster', 'rebalance', '--dry-run'],
    ['fault', 'add', 'cut', '--link', '1-2'],
    ['fault', 'list'],
    ['fault', 'clear'],
  ]

  it('every simulation command refuses a --bootstrap-server that is not the local daemon (exit 2, LOCAL_ONLY)', async () => {
    const results = await Promise.all(commands.map((c) => run([...c, '--bootstrap-server', '127.0.0.1:1', '--json'])))
    results.forEach((r, i) => {
      expectJsonError(r, 2, 'LOCAL_ONLY', new RegExp(`\`sluice ${commands[i]![0]}.*\` works only on the local sluice daemon; 127\\.0\\.0\\.1:1 is a Kafka cluster sluice does not control`))
    })
    expectFailure(await run(['broker', 'kill', '1'], { SLUICE_BOOTSTRAP_SERVER: 'kafka.example.com:9092' }), 2, /works only on the local sluice daemon; kafka\.example\.com:9092/)
    // Nothing was killed.
    expect((await brokers()).every((b) => b.state === 'up')).toBe(true)
  })

  it('accepts a --bootstrap-server that names the local daemon', async () => {
    const list = json<{ brokers: Broker[] }>(await run(['broker', 'list', '--bootstrap-server', `localhost:${d.port + 1}`, '--json']))
    expect(list.brokers).toHaveLength(3)
    const env = { SLUICE_BOOTSTRAP_SERVER: `${d.bootstrap},127.0.0.1:${d.port + 2}` }
    expect(json<{ faults: unknown[] }>(await run(['fault', 'list', '--json'], env)).faults).toEqual([])
  })

  it('starts the local daemon on first use, with a note', async () => {
    const temp = await tempHome()
    const port = await freePortRange(2)
    const env = { SLUICE_PORT: String(port), SLUICE_BROKERS: '2' }
    try {
      const r = await sluice(['broker', 'list', '--json'], { home: temp.path, env })
      expect(r.exitCode, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/started the local daemon at 127\.0\.0\.1:/)
      expect((JSON.parse(r.stdout) as { brokers: Broker[] }).brokers.map((b) => b.port)).toEqual([port, port + 1])
    } finally {
      await sluice(['daemon', 'stop'], { home: temp.path, env })
      await temp.cleanup()
    }
  })
})
