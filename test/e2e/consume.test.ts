/**
 * `sluice consume` through the built binary against one 3-broker daemon: every flag, the
 * offsets grammar end to end, formats, following and stopping (Ctrl-C, SIGTERM, a closed pipe),
 * and every error path (exit code, one line on stderr). Source records are written by kafkajs
 * (explicit timestamps, duplicate headers, null and binary keys and values) and every test
 * counts and compares what comes out: nothing lost, nothing duplicated. Tests run concurrently,
 * each on its own topics.
 */
import { execa } from 'execa'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyBrokerConfigs, BIN, cleanEnv, FAST_FAILOVER_CONFIGS, freePortRange, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, tempHome, type SluiceResult, type TestDaemon } from '../helpers/index.js'
import { RawClient } from '../support/raw-client.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const { Kafka, logLevel } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let d: TestDaemon
let kafka: InstanceType<typeof Kafka>
let producer: kafkajs.Producer

/** Base timestamp of the `orders` records: record i of a partition is at BASE + i minutes. */
const BASE_MS = Date.now() - 30 * 60_000
const PER_PARTITION = 10

interface Envelope {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: unknown
  headers: Record<string, string | null> | [string, string | null][]
  keyEncoding?: string
  valueEncoding?: string
  headerEncoding?: string
}

async function createTopic(topic: string, numPartitions: number, configEntries: { name: string; value: string }[] = []): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** `orders`-shaped data: PER_PARTITION records per partition, value {"p","i"} with odd spacing kept. */
async function fillOrders(topic: string, partitions: number): Promise<void> {
  await createTopic(topic, partitions)
  for (let p = 0; p < partitions; p++) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: PER_PARTITION }, (_, i) => ({
        partition: p,
        key: `k${p}-${i}`,
        value: `{"p":${p}, "i":${i}}`,
        timestamp: String(BASE_MS + i * 60_000),
      })),
    })
  }
}

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'consume-e2e', brokers: [d.bootstrap], logLevel: logLevel.NOTHING })
  producer = kafka.producer()
  await producer.connect()
})

afterAll(async () => {
  await producer?.disconnect()
  if (d) await stopDaemon(d)
})

function consume(args: string[], env: Record<string, string> = {}): Promise<SluiceResult> {
  return sluice(['consume', ...args], { home: d.home, env: { ...d.env, ...env } })
}

function lines(r: SluiceResult): Envelope[] {
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout === '' ? [] : r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Envelope)
}

/** `partition:offset` of each record, sorted, after checking that none repeats. */
function positions(records: Envelope[]): string[] {
  const keys = records.map((r) => `${r.partition}:${r.offset}`)
  expect(new Set(keys).size).toBe(keys.length)
  return keys.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
}

function range(partition: number, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${partition}:${from + i}`)
}

function expectFailure(r: SluiceResult, exit: number, phrase: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(exit)
  expect(r.stdout).toBe('')
  const all = r.stderr.trim().split('\n')
  expect(all, r.stderr).toHaveLength(1)
  expect(all[0]).toMatch(/^sluice: /)
  expect(all[0]).toMatch(phrase)
}

/** A setup step shared by the tests of a describe block (run once, by the first that needs it). */
function beforeAllOnce(step: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined
  return () => (done ??= step())
}

/** Collects a running child's stdout lines; `until(n)` resolves once n lines have come in all. */
function collectLines(child: ReturnType<typeof spawnSluice>): { until(count: number): Promise<string[]> } {
  let text = ''
  const waiters: { count: number; resolve: (lines: string[]) => void }[] = []
  const all = (): string[] => text.split('\n').filter((l) => l !== '')
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString()
    for (const w of [...waiters]) {
      if (all().length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(all())
      }
    }
  })
  return {
    until: (count) =>
      new Promise((resolve, reject) => {
        if (all().length >= count) return resolve(all())
        waiters.push({ count, resolve })
        void child.then((r) => reject(new Error(`exited ${r.exitCode} with ${all().length} of ${count} lines: ${r.stderr}`)))
      }),
  }
}

describe.concurrent('sluice consume', () => {
  it('writes every record of the topic once, as envelopes, and stops at the end with --exit', async () => {
    await fillOrders('c-all', 3)
    const r = await consume(['c-all', '--exit'])
    expect(r.stderr).toBe('')
    const records = lines(r)
    expect(positions(records)).toEqual([...range(0, 0, 10), ...range(1, 0, 10), ...range(2, 0, 10)])
    for (const rec of records) {
      const i = rec.offset
      expect(rec).toEqual({ topic: 'c-all', partition: rec.partition, offset: i, timestamp: BASE_MS + i * 60_000, key: `k${rec.partition}-${i}`, value: { p: rec.partition, i }, headers: {} })
    }
    // Byte for byte: the value's own spacing is kept, not re-serialized.
    expect(r.stdout).toContain(`"value":{"p":0, "i":3},`)
    // Within a partition, offsets come in order.
    for (const p of [0, 1, 2]) {
      const offsets = records.filter((x) => x.partition === p).map((x) => x.offset)
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b))
    }
  })

  it('--partition (repeatable, comma lists) reads only those partitions', async () => {
    await fillOrders('c-part', 3)
    const [repeated, list, missing, bad] = await Promise.all([
      consume(['c-part', '--exit', '--partition', '0', '-p', '2']),
      consume(['c-part', '--exit', '--partition', '2,1']),
      consume(['c-part', '--exit', '-p', '3']),
      consume(['c-part', '--exit', '-p', 'one']),
    ])
    expect(positions(lines(repeated))).toEqual([...range(0, 0, 10), ...range(2, 0, 10)])
    expect(positions(lines(list))).toEqual([...range(1, 0, 10), ...range(2, 0, 10)])
    expectFailure(missing, 4, /has no partition 3 \(it has 3 partitions: 0-2\)/)
    expectFailure(bad, 2, /--partition "one"/)
  })

  describe('--from and --to take every form of the offsets grammar; --to is exclusive', () => {
    const each = (from: number, to: number) => [...range(0, from, to), ...range(1, from, to), ...range(2, from, to)]
    /** The records each argument list reads, all at once. */
    const read = (cases: string[][]) => Promise.all(cases.map(async (args) => positions(lines(await consume(['c-grammar', ...args])))))
    const filled = beforeAllOnce(() => fillOrders('c-grammar', 3))

    it('earliest, latest, N, -N, +N', async () => {
      await filled()
      expect(
        await read([
          ['--from', 'earliest', '--exit'],
          ['--from', 'latest', '--exit'],
          ['--from', '7', '--exit'],
          ['--from', '-3', '--exit'],
          ['--from', '-30', '--exit'],
          ['--from', '+2', '--to', '+4'],
          ['--from', '5', '--to', '7'],
          ['--to', 'latest'],
          ['--to', '-8'],
        ]),
      ).toEqual([each(0, 10), [], each(7, 10), each(7, 10), each(0, 10), each(2, 4), each(5, 7), each(0, 10), each(0, 2)])
    })

    it('@ISO time, @epoch ms, @-duration', async () => {
      await filled()
      // Record i is at BASE + i minutes.
      expect(
        await read([
          ['--from', `@${new Date(BASE_MS + 6 * 60_000).toISOString()}`, '--exit'],
          ['--from', `@${BASE_MS + 6 * 60_000 - 1}`, '--to', `@${BASE_MS + 8 * 60_000}`],
          // BASE + 4.5 min, as a duration before now (computed now: the file has been running a while).
          ['--from', `@-${Math.round((Date.now() - (BASE_MS + 270_000)) / 1000)}s`, '--exit'],
          ['--from', '@-1h', '--exit'],
          // A --to time that no record has reached yet: --exit stops at the end.
          ['--to', '@-1m', '--exit'],
        ]),
      ).toEqual([each(6, 10), each(6, 8), each(5, 10), each(0, 10), each(0, 10)])
    })

    it('per partition, with and without a default for the others', async () => {
      await filled()
      expect(
        await read([
          ['--from', '0:8,1:+9', '--exit'],
          ['--from', 'latest,1:-1', '--exit'],
          ['--from', '3', '--to', '0:4,1:5,2:3'],
        ]),
      ).toEqual([[...range(0, 8, 10), ...range(1, 9, 10), ...range(2, 0, 10)], range(1, 9, 10), [...range(0, 3, 4), ...range(1, 3, 5)]])
    })
  })

  it('--max stops after that many records, even when following', async () => {
    await fillOrders('c-max', 3)
    const [following, one, zero] = await Promise.all([
      consume(['c-max', '--max', '4']),
      consume(['c-max', '-p', '1', '--from', '2', '-n', '3']),
      consume(['c-max', '--max', '0']),
    ])
    expect(positions(lines(following))).toHaveLength(4)
    expect(positions(lines(one))).toEqual(range(1, 2, 5))
    expectFailure(zero, 2, /--max/)
  })

  it('--format value, key, raw and templates; --binary base64-encodes what is not UTF-8', async () => {
    await createTopic('c-fmt', 1)
    await producer.send({
      topic: 'c-fmt',
      acks: -1,
      messages: [
        { key: 'a', value: '{"n":1}', headers: { trace: ['t1', 't2'], who: 'me' }, timestamp: String(BASE_MS) },
        { key: null, value: 'plain text', timestamp: String(BASE_MS + 1) },
        { key: Buffer.from([0xff, 0x01]), value: Buffer.from([0x00, 0xfe]), timestamp: String(BASE_MS + 2) },
      ],
    })
    const out = (...args: string[]) => sluiceBytes(['consume', 'c-fmt', '--exit', ...args])
    const [value, key, raw, template, times, json, lossy, yaml, unknownField, rawBinary] = await Promise.all([
      out('--format', 'value', '--binary'),
      out('--format', 'key', '--binary'),
      out('--format', 'raw'),
      out('-f', '{partition}:{offset} {key} {value} {headers.trace} {headers}', '--binary'),
      out('-f', '{topic} {timestamp} {time}', '--max', '1'),
      consume(['c-fmt', '--exit', '--binary']),
      consume(['c-fmt', '--exit']),
      consume(['c-fmt', '--exit', '--format', 'yaml']),
      consume(['c-fmt', '--exit', '--format', '{nope}']),
      consume(['c-fmt', '--exit', '--format', 'raw', '--binary']),
    ])
    expect(value.toString()).toBe('{"n":1}\nplain text\nAP4=\n')
    expect(key.toString()).toBe('a\n\n/wE=\n')
    expect(raw).toEqual(Buffer.concat([Buffer.from('{"n":1}plain text'), Buffer.from([0x00, 0xfe])]))
    expect(template.toString()).toBe(
      [
        `0:0 a {"n":1} t2 [["trace","t1"],["trace","t2"],["who","me"]]`,
        `0:1  plain text  {}`,
        `0:2 /wE= AP4=  {}`,
        '',
      ].join('\n'),
    )
    expect(times.toString()).toBe(`c-fmt ${BASE_MS} ${new Date(BASE_MS).toISOString()}\n`)
    const records = lines(json)
    expect(records[0]).toMatchObject({ key: 'a', value: { n: 1 }, headers: [['trace', 't1'], ['trace', 't2'], ['who', 'me']] })
    expect(records[1]).toMatchObject({ key: null, value: 'plain text', valueEncoding: 'string' })
    expect(records[2]).toMatchObject({ key: '/wE=', keyEncoding: 'base64', value: 'AP4=', valueEncoding: 'base64' })
    // Without --binary, bytes that are not UTF-8 are replaced, and a note says so (once).
    expect(lines(lossy)[2]).toMatchObject({ key: '\ufffd\u0001', value: '\u0000\ufffd', valueEncoding: 'string' })
    expect(lossy.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sluice: .*not UTF-8.*--binary/)])
    expectFailure(yaml, 2, /--format must be json, value, key, raw or a template/)
    expectFailure(unknownField, 2, /unknown field \{nope\}/)
    expectFailure(rawBinary, 2, /--binary does not apply to --format raw/)
  })

  it('null keys, null values and empty values come out as such', async () => {
    await createTopic('c-null', 1)
    await producer.send({ topic: 'c-null', acks: -1, messages: [{ key: null, value: null }, { key: '', value: '' }, { key: 'k', value: null }] })
    const records = lines(await consume(['c-null', '--exit']))
    expect(records.map((r) => [r.key, r.value, r.valueEncoding])).toEqual([
      [null, null, undefined],
      ['', '', 'string'],
      ['k', null, undefined],
    ])
  })

  it('follows new records until Ctrl-C (exit 130), then SIGTERM (exit 0); nothing lost or repeated', async () => {
    await createTopic('c-follow', 3)
    const child = spawnSluice(['consume', 'c-follow'], { home: d.home, env: d.env })
    const out = collectLines(child)
    const send = (from: number, count: number) =>
      producer.send({ topic: 'c-follow', acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `{"n":${from + i}}` })) })
    await send(0, 20)
    await out.until(20)
    await send(20, 20)
    const got = await out.until(40)
    expect(got).toHaveLength(40)
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).toBe(130)
    const values = String(r.stdout).trimEnd().split('\n').map((l) => (JSON.parse(l) as Envelope).value as { n: number })
    expect(values.map((v) => v.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i))

    // From the current ends, given per partition (not "latest", which would race with the send).
    const admin = kafka.admin()
    await admin.connect()
    const ends = await admin.fetchTopicOffsets('c-follow')
    await admin.disconnect()
    const from = ends.map((e) => `${e.partition}:${e.high}`).join(',')
    const term = spawnSluice(['consume', 'c-follow', '--from', from], { home: d.home, env: d.env })
    await send(40, 1)
    expect(await collectLines(term).until(1)).toEqual([expect.stringContaining('"value":{"n":40}')])
    term.kill('SIGTERM')
    const t = await term
    expect(t.exitCode).toBe(0)
    expect(String(t.stdout).trimEnd().split('\n')).toHaveLength(1)
  })

  it('follows a partition across the crash and return of its leader: nothing lost or repeated', async () => {
    // A daemon of its own: killing a broker of the shared one would slow the other tests. Its
    // killed broker is fenced within FAST_FAILOVER_CONFIGS' session (1 s), not the default 9 s.
    const own = await startDaemon({ brokers: 3 })
    const k = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'consume-failover', brokers: own.brokers.map((b) => `${b.host}:${b.port}`), logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 3000 } })
    const admin = k.admin()
    const p = k.producer()
    try {
      await admin.connect()
      const setConfigs = (configs: Record<string, string>): Promise<unknown> =>
        admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '1', configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] })
      await applyBrokerConfigs(setConfigs, FAST_FAILOVER_CONFIGS, async () => {
        await admin.createTopics({ topics: [{ topic: 'fo', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true })
        await p.connect()
      })
      const send = (round: number) =>
        p.send({ topic: 'fo', acks: -1, messages: [0, 1, 2].flatMap((partition) => Array.from({ length: 10 }, (_, i) => ({ partition, value: `{"n":${round * 30 + partition * 10 + i}}` }))) })
      const child = spawnSluice(['consume', 'fo'], { home: own.home, env: own.env })
      const out = collectLines(child)
      await send(0)
      await out.until(30)
      const leader = (await admin.fetchTopicMetadata({ topics: ['fo'] })).topics[0]!.partitions.find((x) => x.partitionId === 1)!.leader
      expect((await sluice(['broker', 'kill', String(leader)], { home: own.home, env: own.env })).exitCode).toBe(0)
      await send(1) // waits for the new leaders (after the session timeout)
      await out.until(60)
      expect((await sluice(['broker', 'start', String(leader)], { home: own.home, env: own.env })).exitCode).toBe(0)
      await send(2)
      await out.until(90)
      child.kill('SIGINT')
      const r = await child
      expect(r.exitCode, String(r.stderr)).toBe(130)
      const values = String(r.stdout).trimEnd().split('\n').map((l) => ((JSON.parse(l) as Envelope).value as { n: number }).n)
      expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 90 }, (_, i) => i))
    } finally {
      await p.disconnect().catch(() => undefined)
      await admin.disconnect().catch(() => undefined)
      await stopDaemon(own)
    }
  })

  it('stops quietly, exit 0, when stdout closes (consume | head -5), while following', async () => {
    await createTopic('c-head', 1)
    // Enough data that consume is still writing when head exits.
    for (let b = 0; b < 10; b++) {
      await producer.send({ topic: 'c-head', acks: -1, messages: Array.from({ length: 2000 }, (_, i) => ({ value: `{"n":${b * 2000 + i},"pad":"${'x'.repeat(100)}"}` })) })
    }
    const script = `"${process.execPath}" "${BIN}" consume c-head | head -5; echo "sluice exit: \${PIPESTATUS[0]}"`
    const r = await execa('bash', ['-c', script], { env: cleanEnv(d.env, d.home), extendEnv: false, reject: false, timeout: HANG_MS })
    const out = String(r.stdout).split('\n')
    expect(out.slice(0, 5).map((l) => (JSON.parse(l) as Envelope).offset)).toEqual([0, 1, 2, 3, 4])
    expect(out[5]).toBe('sluice exit: 0')
    expect(String(r.stderr)).toBe('')
  })

  it('says so when --from is below the log start (deleted by retention) or past the end', async () => {
    const admin = await RawClient.connect(d.port)
    try {
      const altered = await admin.request(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.check.interval.ms', configOperation: 0, value: '100' }] }],
        validateOnly: false,
      })
      expect(altered.responses[0].errorCode).toBe(ErrorCode.NONE)
    } finally {
      admin.close()
    }
    await createTopic('c-retention', 1, [{ name: 'retention.ms', value: '60000' }])
    const hourAgo = Date.now() - 3_600_000
    await producer.send({ topic: 'c-retention', acks: -1, messages: [{ value: '"old1"', timestamp: String(hourAgo) }, { value: '"old2"', timestamp: String(hourAgo) }] })
    await producer.send({ topic: 'c-retention', acks: -1, messages: [{ value: '"fresh"' }] })
    let records: Envelope[] = []
    for (let i = 0; i < 100; i++) {
      records = lines(await consume(['c-retention', '--exit']))
      if (records.length === 1) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(records.map((r) => [r.offset, r.value])).toEqual([[2, 'fresh']])
    expectFailure(await consume(['c-retention', '--from', '0', '--exit']), 4, /offset 0 was deleted by retention; data starts at 2/)
    expectFailure(await consume(['c-retention', '--from', '9', '--exit']), 4, /offset 9 is past the end of the partition \(3\)/)
  })

  it('unknown topics are exit 4 and are not created', async () => {
    const [once, follow] = await Promise.all([consume(['c-missing', '--exit']), consume(['c-missing'])])
    expectFailure(once, 4, /topic "c-missing" does not exist/)
    expectFailure(follow, 4, /does not exist/)
  })

  it('usage errors are exit 2 with the flag named', async () => {
    const cases: [string[], RegExp][] = [
      [['c-any', '--from', 'yesterday'], /--from "yesterday": expected earliest, latest/],
      [['c-any', '--to', '@-15'], /--to "@-15": a duration/],
      [['c-any', '--from', '@2026-11-20T10:00'], /no zone/],
      [['c-any', '--from', '0:1,0:2'], /given twice/],
      [[], /topic/],
      [['c-any', '--json'], /--json/],
    ]
    const results = await Promise.all(cases.map(([args]) => consume(args)))
    results.forEach((r, i) => expectFailure(r, 2, cases[i]![1]))
  })

  it('--from/--to naming a partition the topic lacks is exit 4', async () => {
    await fillOrders('c-badpart', 2)
    expectFailure(await consume(['c-badpart', '--from', '5:0', '--exit']), 4, /--from names partition 5, but topic "c-badpart" it has 2 partitions/)
  })

  it('--bootstrap-server and $SLUICE_BOOTSTRAP_SERVER reach a cluster without starting a local daemon', async () => {
    await fillOrders('c-boot', 1)
    const other = await tempHome()
    try {
      const flag = await sluice(['consume', 'c-boot', '--exit', '--bootstrap-server', d.bootstrap], { home: other.path })
      expect(positions(lines(flag))).toEqual(range(0, 0, 10))
      const env = await sluice(['consume', 'c-boot', '--exit', '-n', '2'], { home: other.path, env: { SLUICE_BOOTSTRAP_SERVER: d.bootstrap } })
      expect(lines(env)).toHaveLength(2)
      const fs = await import('node:fs')
      expect(fs.existsSync(`${other.path}/daemon.pid`)).toBe(false)
      const port = await freePortRange(1)
      expectFailure(await sluice(['consume', 'c-boot', '--exit', '--bootstrap-server', `127.0.0.1:${port}`], { home: other.path }), 3, /cannot reach the cluster at 127\.0\.0\.1:/)
      expectFailure(await sluice(['consume', 'c-boot', '--bootstrap-server', 'nohost'], { home: other.path }), 2, /host:port/)
    } finally {
      await other.cleanup()
    }
  })
})

/** Runs sluice and returns stdout as bytes (for --format raw). */
async function sluiceBytes(args: string[]): Promise<Buffer> {
  const r = await execa(process.execPath, [BIN, ...args], { env: cleanEnv(d.env, d.home), extendEnv: false, encoding: 'buffer', stripFinalNewline: false, reject: false })
  expect(r.exitCode, String(r.stderr)).toBe(0)
  return Buffer.from(r.stdout as Uint8Array)
}
