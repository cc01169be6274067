/**
 * `sluice topic create|list|describe|alter|delete` through the built binary: every flag, the
 * --json shapes, every error path (exit code, error code, one line on stderr), --bootstrap-server
 * and $SLUICE_BOOTSTRAP_SERVER pointing at a second daemon in another home, and the local daemon
 * started on first use. Tests run concurrently (each uses its own topic names): every
 * invocation pays the CLI's start-up, and there are many.
 */
import { Admin, Producer, stringSerializers } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freePortRange,
  sluice,
  startDaemon,
  stopDaemon,
  tempHome,
  type SluiceResult,
  type TestDaemon,
} from '../helpers/index.js'

let a: TestDaemon // 3 brokers: the "local" daemon of the tests (SLUICE_HOME)
let b: TestDaemon // 1 broker, in another home: reached only by --bootstrap-server

beforeAll(async () => {
  ;[a, b] = await Promise.all([startDaemon({ brokers: 3 }), startDaemon({ brokers: 1 })])
})

afterAll(async () => {
  // TOPIC_TEST_KEEP_LOG=1 prints both daemons' logs before their homes go (to chase a daemon failure).
  if (process.env.TOPIC_TEST_KEEP_LOG) {
    const fs = await import('node:fs')
    for (const d of [a, b]) if (d) process.stderr.write(`--- ${d.home}\n` + fs.readFileSync(`${d.home}/logs/daemon.log`, 'utf8'))
  }
  await Promise.all([a, b].filter((d) => d !== undefined).map(stopDaemon))
})

/** `sluice topic ...` against daemon A (its home, no bootstrap override). */
function topic(args: string[], env: Record<string, string> = {}): Promise<SluiceResult> {
  return sluice(['topic', ...args], { home: a.home, env: { ...a.env, ...env } })
}

function json<T = Record<string, unknown>>(r: SluiceResult): T {
  return JSON.parse(r.stdout) as T
}

/** A failure: the exit code, one line on stderr that contains `phrase`, nothing on stdout. */
function expectFailure(r: SluiceResult, exit: number, phrase: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(exit)
  expect(r.stdout).toBe('')
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^sluice: /)
  expect(lines[0]).toMatch(phrase)
}

/** The same failure with --json: {error: {code, message}} on stdout. */
function expectJsonError(r: SluiceResult, exit: number, code: string, phrase?: RegExp): void {
  expect(r.exitCode, r.stdout + r.stderr).toBe(exit)
  const { error } = json<{ error: { code: string; message: string } }>(r)
  expect(error.code).toBe(code)
  if (phrase) expect(error.message).toMatch(phrase)
}

interface Description {
  topic: string
  topicId: string | null
  internal: boolean
  partitionCount: number
  replicationFactor: number
  sizeBytes: number | null
  configs: Record<string, string | null>
  brokerDefaults: Record<string, { value: string | null; kafka: string | null }>
  partitions: {
    partition: number
    leader: number
    leaderEpoch: number
    replicas: number[]
    isr: number[]
    offlineReplicas: number[]
    logStartOffset: number | null
    endOffset: number | null
    sizeBytes: number | null
  }[]
}

// Many CLI invocations run at once, each paying the client's start-up: on a shared, loaded
// machine a test can take minutes, so it has no limit of its own (vitest.config's, a hang's).
describe.concurrent('sluice topic', () => {
  describe('sluice topic create', () => {
    it('creates with the cluster defaults and prints the result', async () => {
      const [r, human] = await Promise.all([topic(['create', 'c-defaults', '--json']), topic(['create', 'c-human'])])
      expect(r.exitCode, r.stderr).toBe(0)
      const out = json(r)
      expect(out).toEqual({
        topic: 'c-defaults',
        created: true,
        topicId: expect.stringMatching(/^[0-9a-f-]{32,36}$/),
        partitionCount: 3,
        replicationFactor: 3,
        configs: {},
      })
      expect(human.exitCode).toBe(0)
      expect(human.stdout).toBe('')
      expect(human.stderr).toMatch(/created topic c-human: 3 partition\(s\), replication factor 3/)
    })

    it('takes --partitions, --replication-factor and repeated --config', async () => {
      const r = await topic([
        'create', 'c-flags', '--partitions', '5', '--replication-factor', '2',
        '--config', 'retention.ms=60000', '--config', 'cleanup.policy=compact', '--json',
      ])
      expect(r.exitCode, r.stderr).toBe(0)
      expect(json(r)).toMatchObject({
        topic: 'c-flags',
        created: true,
        partitionCount: 5,
        replicationFactor: 2,
        configs: { 'cleanup.policy': 'compact', 'retention.ms': '60000' },
      })
      const d = json<Description>(await topic(['describe', 'c-flags', '--json']))
      expect(d.partitionCount).toBe(5)
      expect(d.replicationFactor).toBe(2)
      expect(d.partitions.every((p) => p.replicas.length === 2)).toBe(true)
      expect(d.configs).toEqual({ 'cleanup.policy': 'compact', 'retention.ms': '60000' })
    })

    it('an existing topic is a conflict (exit 5), unless --if-not-exists', async () => {
      expect((await topic(['create', 'c-exists', '--partitions', '2'])).exitCode).toBe(0)
      const [exists, existsJson, again, human] = await Promise.all([
        topic(['create', 'c-exists']),
        topic(['create', 'c-exists', '--json']),
        topic(['create', 'c-exists', '--partitions', '7', '--if-not-exists', '--json']),
        topic(['create', 'c-exists', '--if-not-exists']),
      ])
      expectFailure(exists, 5, /already exists/)
      expectJsonError(existsJson, 5, 'CONFLICT', /TOPIC_ALREADY_EXISTS/)
      expect(again.exitCode, again.stderr).toBe(0)
      expect(json(again)).toMatchObject({ topic: 'c-exists', created: false, partitionCount: 2, replicationFactor: 3, configs: {} })
      expect(human.exitCode).toBe(0)
      expect(human.stderr).toMatch(/already exists: 2 partition/)
    })

    it('bad names are usage errors (exit 2)', async () => {
      // The rules themselves are unit-tested in test/client/topic-model.test.ts.
      const [slash, long, ok] = await Promise.all([
        topic(['create', 'a/b']),
        topic(['create', 'x'.repeat(250), '--json']),
        topic(['create', 'y'.repeat(249)]), // Kafka's limit, and allowed
      ])
      expectFailure(slash, 2, /bad topic name "a\/b"/)
      expectJsonError(long, 2, 'USAGE', /bad topic name/)
      expect(ok.exitCode, ok.stderr).toBe(0)
    })

    it('bad config names and values are usage errors with the broker message (exit 2)', async () => {
      const [name, value, syntax] = await Promise.all([
        topic(['create', 'c-badcfg', '--config', 'no.such.config=1']),
        topic(['create', 'c-badcfg', '--config', 'retention.ms=soon', '--json']),
        topic(['create', 'c-badcfg', '--config', 'retention.ms']),
      ])
      expectFailure(name, 2, /no\.such\.config.*INVALID_CONFIG/)
      expectJsonError(value, 2, 'USAGE', /retention\.ms.*INVALID_CONFIG/)
      expectFailure(syntax, 2, /expected name=value/)
      // Nothing was created by any of them.
      expectFailure(await topic(['describe', 'c-badcfg']), 4, /does not exist/)
    })

    it('bad partition counts and replication factors are usage errors (exit 2)', async () => {
      const [partitions, zero, tooMany, missing] = await Promise.all([
        topic(['create', 'c-bad', '--partitions', '0']),
        topic(['create', 'c-bad', '--replication-factor', '0']),
        topic(['create', 'c-bad', '--replication-factor', '4']),
        topic(['create']),
      ])
      expectFailure(partitions, 2, /--partitions/)
      expectFailure(zero, 2, /--replication-factor/)
      expectFailure(tooMany, 2, /INVALID_REPLICATION_FACTOR/)
      expectFailure(missing, 2, /topic/i)
    })
  })

  describe('sluice topic list', () => {
    it('lists topics sorted by name, as a table and as JSON', async () => {
      for (const c of await Promise.all(['l-b', 'l-a'].map((name) => topic(['create', name, '--partitions', '1'])))) expect(c.exitCode).toBe(0)
      const [r, human, internalRun] = await Promise.all([topic(['list', '--json']), topic(['list']), topic(['list', '--internal', '--json'])])
      expect(r.exitCode, r.stderr).toBe(0)
      const { topics } = json<{ topics: { topic: string; topicId: string | null; internal: boolean; partitionCount: number; replicationFactor: number }[] }>(r)
      const names = topics.map((t) => t.topic)
      expect(names).toEqual([...names].sort())
      // topicId: null while the daemon speaks Metadata v9 (no topic ids), a UUID from v10 on.
      expect(topics.find((t) => t.topic === 'l-a')).toMatchObject({ topic: 'l-a', internal: false, partitionCount: 1, replicationFactor: 3 })
      expect(human.exitCode).toBe(0)
      const lines = human.stdout.split('\n')
      expect(lines[0]).toMatch(/^TOPIC\s+PARTITIONS\s+REPLICATION$/)
      expect(lines).toContainEqual(expect.stringMatching(/^l-a\s+1\s+3$/))
      // --internal is accepted; the daemon has no internal topic yet.
      // (Other tests create and delete topics meanwhile: only these two are known to be there.)
      const internal = json<{ topics: { topic: string; internal: boolean }[] }>(internalRun)
      expect(internal.topics.filter((t) => t.topic.startsWith('l-')).map((t) => [t.topic, t.internal])).toEqual([['l-a', false], ['l-b', false]])
    })
  })

  describe('sluice topic describe', () => {
    it('shows leaders, replicas, ISR, offsets and sizes that match what was produced', async () => {
      expect((await topic(['create', 'd-data', '--partitions', '3', '--config', 'retention.ms=3600000'])).exitCode).toBe(0)
      const perPartition = [5, 0, 12]
      const producer = new Producer({ clientId: 'topic-test', bootstrapBrokers: [a.bootstrap], serializers: stringSerializers })
      try {
        for (const [partition, count] of perPartition.entries()) {
          if (count === 0) continue
          const messages = Array.from({ length: count }, (_, i) => ({ topic: 'd-data', partition, value: JSON.stringify({ partition, i }) }))
          await producer.send({ messages, acks: -1 })
        }
      } finally {
        await producer.close()
      }
      const [r, human] = await Promise.all([topic(['describe', 'd-data', '--json']), topic(['describe', 'd-data'])])
      expect(r.exitCode, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      const d = json<Description>(r)
      expect(d).toMatchObject({ topic: 'd-data', internal: false, partitionCount: 3, replicationFactor: 3, configs: { 'retention.ms': '3600000' } })
      // Sluice's own default where Kafka's differs, with Kafka's beside it.
      expect(d.brokerDefaults).toEqual({ 'min.insync.replicas': { value: '2', kafka: '1' } })
      expect(d.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
      for (const p of d.partitions) {
        const count = perPartition[p.partition]!
        expect(p.logStartOffset).toBe(0)
        expect(p.endOffset).toBe(count)
        expect(p.replicas).toHaveLength(3)
        expect(p.replicas).toContain(p.leader)
        expect(p.isr).toContain(p.leader)
        expect(p.offlineReplicas).toEqual([])
        expect(p.leaderEpoch).toBeGreaterThanOrEqual(0)
        if (count === 0) expect(p.sizeBytes).toBe(0)
        else expect(p.sizeBytes).toBeGreaterThan(count * 10)
      }
      expect(d.sizeBytes).toBe(d.partitions.reduce((s, p) => s + p.sizeBytes!, 0))

      expect(human.exitCode).toBe(0)
      expect(human.stdout).toMatch(/^topic\s+d-data$/m)
      expect(human.stdout).toMatch(/^configs\s+retention\.ms=3600000$/m)
      expect(human.stdout).toMatch(/^defaults\s+min\.insync\.replicas 2 \(sluice default; Kafka: 1\)$/m)
      expect(human.stdout).toMatch(/^PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+START\s+END\s+SIZE$/m)
      expect(human.stdout).toMatch(new RegExp(`^2\\s+${d.partitions[2]!.leader}\\s+\\S+\\s+\\S+\\s+0\\s+12\\s+\\d+ B$`, 'm'))
    })

    it('sizes come from DescribeLogDirs: each broker reports the replicas it hosts, in its own log dir', async () => {
      expect((await topic(['create', 'd-dirs', '--partitions', '2', '--replication-factor', '2'])).exitCode).toBe(0)
      const d = json<Description>(await topic(['describe', 'd-dirs', '--json']))
      const admin = new Admin({ clientId: 'topic-test', bootstrapBrokers: [a.bootstrap] })
      try {
        const dirs = await admin.describeLogDirs({ topics: [{ name: 'd-dirs', partitions: [0, 1] }, { name: 'd-absent', partitions: [0] }] })
        expect(dirs.map((x) => x.broker).sort()).toEqual([1, 2, 3])
        for (const broker of dirs) {
          expect(broker.results).toHaveLength(1)
          const [dir] = broker.results
          expect(dir!.logDir).toBe(`${a.home}/brokers/${broker.broker}`)
          const hosted = d.partitions.filter((p) => p.replicas.includes(broker.broker)).map((p) => p.partition)
          const reported = dir!.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, Number(p.partitionSize)]))
          // Only the partitions it is a replica of; an unknown topic is left out, as Kafka does.
          expect(reported).toEqual(hosted.map((p) => ['d-dirs', p, 0]))
        }
      } finally {
        await admin.close()
      }
    })

    it('a topic with default configs says so', async () => {
      expect((await topic(['create', 'd-plain', '--partitions', '1'])).exitCode).toBe(0)
      const [human, r] = await Promise.all([topic(['describe', 'd-plain']), topic(['describe', 'd-plain', '--json'])])
      expect(human.stdout).toMatch(/^configs\s+\(defaults\)$/m)
      expect(json<Description>(r).configs).toEqual({})
    })

    it('an unknown topic is not found (exit 4); a bad name is a usage error (exit 2)', async () => {
      const [missing, missingJson, bad, none] = await Promise.all([
        topic(['describe', 'd-missing']),
        topic(['describe', 'd-missing', '--json']),
        topic(['describe', 'a/b']),
        topic(['describe']),
      ])
      expectFailure(missing, 4, /topic "d-missing" does not exist/)
      expectJsonError(missingJson, 4, 'NOT_FOUND', /does not exist/)
      expectFailure(bad, 2, /bad topic name/)
      expectFailure(none, 2, /topic/i)
    })
  })

  describe('sluice topic alter', () => {
    it('sets configs and resets them to the defaults', async () => {
      expect((await topic(['create', 'a-cfg', '--partitions', '1', '--config', 'retention.ms=1000'])).exitCode).toBe(0)
      const r = await topic(['alter', 'a-cfg', '--config', 'cleanup.policy=compact', '--config', 'max.message.bytes=2000000', '--delete-config', 'retention.ms', '--json'])
      expect(r.exitCode, r.stderr).toBe(0)
      expect(json(r)).toEqual({
        topic: 'a-cfg',
        set: { 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' },
        deleted: ['retention.ms'],
        configs: { 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' },
      })
      expect(json<Description>(await topic(['describe', 'a-cfg', '--json'])).configs).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' })

      const human = await topic(['alter', 'a-cfg', '--delete-config', 'cleanup.policy'])
      expect(human.exitCode).toBe(0)
      expect(human.stdout).toBe('')
      expect(human.stderr).toMatch(/altered topic a-cfg: cleanup\.policy reset to default/)
      expect(json<Description>(await topic(['describe', 'a-cfg', '--json'])).configs).toEqual({ 'max.message.bytes': '2000000' })
    })

    it('bad config names and values are usage errors with the broker message, and change nothing', async () => {
      expect((await topic(['create', 'a-bad', '--partitions', '1', '--config', 'retention.ms=1000'])).exitCode).toBe(0)
      const [name, value] = await Promise.all([
        topic(['alter', 'a-bad', '--config', 'no.such.config=1']),
        // One bad change in a request: none of them applies.
        topic(['alter', 'a-bad', '--config', 'retention.ms=5', '--config', 'segment.ms=later', '--json']),
      ])
      expectFailure(name, 2, /no\.such\.config.*INVALID_CONFIG/)
      expectJsonError(value, 2, 'USAGE', /segment\.ms/)
      expect(json<Description>(await topic(['describe', 'a-bad', '--json'])).configs).toEqual({ 'retention.ms': '1000' })
    })

    it('asking for no change, or setting and resetting one config, is a usage error', async () => {
      const [nothing, both, syntax] = await Promise.all([
        topic(['alter', 'a-usage']),
        topic(['alter', 'a-usage', '--config', 'retention.ms=1', '--delete-config', 'retention.ms']),
        topic(['alter', 'a-usage', '--config', 'retention.ms']),
      ])
      expectFailure(nothing, 2, /nothing to change/)
      expectFailure(both, 2, /both set/)
      expectFailure(syntax, 2, /expected name=value/)
    })

    it('--partitions grows the topic, with its configs in the same call; fewer or as many is a usage error naming the count', async () => {
      expect((await topic(['create', 'a-grow', '--partitions', '2', '--replication-factor', '2'])).exitCode).toBe(0)
      const r = await topic(['alter', 'a-grow', '--partitions', '5', '--config', 'retention.ms=60000', '--json'])
      expect(r.exitCode, r.stderr).toBe(0)
      expect(json(r)).toEqual({ topic: 'a-grow', set: { 'retention.ms': '60000' }, deleted: [], configs: { 'retention.ms': '60000' }, partitions: { from: 2, to: 5 } })
      const d = json<Description>(await topic(['describe', 'a-grow', '--json']))
      expect(d.partitionCount).toBe(5)
      for (const p of d.partitions) {
        expect(p.replicas).toHaveLength(2)
        expect(p.leader).toBe(p.replicas[0])
        expect(p.endOffset).toBe(0)
      }

      const [fewer, same, zero] = await Promise.all([
        topic(['alter', 'a-grow', '--partitions', '3']),
        topic(['alter', 'a-grow', '--partitions', '5', '--json']),
        topic(['alter', 'a-grow', '--partitions', '0']),
      ])
      expectFailure(fewer, 2, /has 5 partition\(s\), and 3 is not more/)
      expectJsonError(same, 2, 'USAGE', /has 5 partition/)
      expect(zero.exitCode).toBe(2)
      const human = await topic(['alter', 'a-grow', '--partitions', '6'])
      expect(human.exitCode, human.stderr).toBe(0)
      expect(human.stderr).toMatch(/altered topic a-grow: partitions 5 -> 6/)
      expect(json<Description>(await topic(['describe', 'a-grow', '--json'])).partitionCount).toBe(6)
    })

    it('an unknown topic is not found (exit 4); a bad name is a usage error (exit 2)', async () => {
      const [missing, missingJson, bad] = await Promise.all([
        topic(['alter', 'a-missing', '--config', 'retention.ms=1']),
        topic(['alter', 'a-missing', '--delete-config', 'retention.ms', '--json']),
        topic(['alter', '..', '--config', 'retention.ms=1']),
      ])
      expectFailure(missing, 4, /does not exist/)
      expectJsonError(missingJson, 4, 'NOT_FOUND')
      expectFailure(bad, 2, /bad topic name/)
    })
  })

  describe('sluice topic delete', () => {
    it('deletes a topic', async () => {
      expect((await topic(['create', 'x-del', '--partitions', '1'])).exitCode).toBe(0)
      const r = await topic(['delete', 'x-del', '--json'])
      expect(r.exitCode, r.stderr).toBe(0)
      expect(json(r)).toEqual({ topic: 'x-del', deleted: true })
      const [described, listed] = await Promise.all([topic(['describe', 'x-del']), topic(['list', '--json'])])
      expectFailure(described, 4, /does not exist/)
      const names = json<{ topics: { topic: string }[] }>(listed).topics.map((t) => t.topic)
      expect(names).not.toContain('x-del')
      // The name can be used again at once.
      expect((await topic(['create', 'x-del', '--partitions', '1'])).exitCode).toBe(0)
      const human = await topic(['delete', 'x-del'])
      expect(human.exitCode).toBe(0)
      expect(human.stdout).toBe('')
      expect(human.stderr).toMatch(/deleted topic x-del/)
    })

    it('an unknown topic is not found (exit 4), unless --if-exists', async () => {
      const [missing, missingJson, r, bad] = await Promise.all([
        topic(['delete', 'x-missing']),
        topic(['delete', 'x-missing', '--json']),
        topic(['delete', 'x-missing', '--if-exists', '--json']),
        topic(['delete', 'a/b']),
      ])
      expectFailure(missing, 4, /does not exist/)
      expectJsonError(missingJson, 4, 'NOT_FOUND')
      expect(r.exitCode).toBe(0)
      expect(json(r)).toEqual({ topic: 'x-missing', deleted: false })
      expectFailure(bad, 2, /bad topic name/)
    })
  })

  describe('another cluster: --bootstrap-server and $SLUICE_BOOTSTRAP_SERVER', () => {
    it('every command works against a second daemon in another home, leaving the local one alone', async () => {
      const remote = ['--bootstrap-server', b.bootstrap]
      // B is empty: nothing listed, a note on stderr.
      const [empty, emptyJson] = await Promise.all([topic(['list', ...remote]), topic(['list', ...remote, '--json'])])
      expect(empty.exitCode).toBe(0)
      expect(empty.stdout).toBe('')
      expect(empty.stderr).toMatch(/no topics/)
      expect(json(emptyJson)).toEqual({ topics: [] })

      const created = await topic(['create', 'bs-remote', ...remote, '--json'])
      expect(created.exitCode, created.stderr).toBe(0)
      // B has one broker: its defaults clamp the replication factor to 1.
      expect(json(created)).toMatchObject({ created: true, partitionCount: 3, replicationFactor: 1 })

      const [local, viaEnv, altered, localDescribe] = await Promise.all([
        topic(['list', '--json']),
        topic(['list', '--json'], { SLUICE_BOOTSTRAP_SERVER: b.bootstrap }),
        topic(['alter', 'bs-remote', ...remote, '--config', 'retention.ms=5000', '--partitions', '4']),
        topic(['describe', 'bs-remote']),
      ])
      expect(json<{ topics: { topic: string }[] }>(local).topics.map((t) => t.topic)).not.toContain('bs-remote')
      expect(json<{ topics: { topic: string }[] }>(viaEnv).topics.map((t) => t.topic)).toContain('bs-remote')
      expect(altered.exitCode, altered.stderr).toBe(0)
      expectFailure(localDescribe, 4, /does not exist/)

      // The flag wins over the environment.
      const d = json<Description>(await topic(['describe', 'bs-remote', ...remote, '--json'], { SLUICE_BOOTSTRAP_SERVER: a.bootstrap }))
      expect(d.configs).toEqual({ 'retention.ms': '5000' })
      expect(d.partitionCount).toBe(4)
      expect(d.partitions.every((p) => p.leader === 1 && p.replicas.length === 1)).toBe(true)

      expect(json(await topic(['delete', 'bs-remote', ...remote, '--json']))).toEqual({ topic: 'bs-remote', deleted: true })
      expectFailure(await topic(['describe', 'bs-remote', ...remote]), 4, /does not exist/)
    })

    it('an unreachable cluster is exit 3 for every command', async () => {
      const port = await freePortRange(1) // nothing listens there
      const remote = ['--bootstrap-server', `127.0.0.1:${port}`]
      const runs = await Promise.all([
        topic(['create', 'u-topic', ...remote]),
        topic(['list', ...remote]),
        topic(['describe', 'u-topic', ...remote]),
        topic(['alter', 'u-topic', '--config', 'retention.ms=1', ...remote]),
        topic(['delete', 'u-topic', ...remote]),
      ])
      for (const r of runs) expectFailure(r, 3, /cannot reach the cluster at 127\.0\.0\.1:\d+/)
      expectJsonError(await topic(['list', '--json'], { SLUICE_BOOTSTRAP_SERVER: `127.0.0.1:${port}` }), 3, 'CLUSTER_UNREACHABLE')
    })

    it('a malformed --bootstrap-server is a usage error (exit 2)', async () => {
      expectFailure(await topic(['list', '--bootstrap-server', 'no-port']), 2, /host:port/)
    })
  })

  describe('the local daemon', () => {
    it('is started on first use, with a note on stderr', async () => {
      const home = await tempHome()
      const port = await freePortRange(2)
      const env = { SLUICE_PORT: String(port), SLUICE_BROKERS: '2' }
      try {
        const r = await sluice(['topic', 'create', 'first-use', '--json'], { home: home.path, env })
        expect(r.exitCode, r.stderr).toBe(0)
        expect(r.stderr).toMatch(/start/i)
        expect(json(r)).toMatchObject({ topic: 'first-use', created: true, replicationFactor: 2 })
        const list = await sluice(['topic', 'list', '--json'], { home: home.path, env })
        expect(json<{ topics: { topic: string }[] }>(list).topics.map((t) => t.topic)).toEqual(['first-use'])
      } finally {
        await sluice(['daemon', 'stop'], { home: home.path })
        await home.cleanup()
      }
    })
  })
})
