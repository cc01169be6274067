/**
 * `sluice produce` through the built binary against a real daemon (3 brokers): every flag, every
 * error path with its exit code, and the records read back through sluice's own codec (counted
 * and compared, so nothing is lost or duplicated). A second daemon in another home is the
 * "other cluster" for --bootstrap-server and for a cluster that does not auto-create topics.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Admin, ConfigResourceTypes } from '@platformatic/kafka'
import { Partitioners } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeEnvelope } from '../../src/client/envelope.js'
import { execa } from 'execa'
import { BIN, cleanEnv, HANG_MS, sluice, spawnSluice, startDaemon, stopDaemon, tempHome, until, type TempHome, type TestDaemon } from '../helpers/index.js'
import { kcat, kcatPath } from '../interop/kcat.js'
import { readTopic, type ReadRecord } from '../support/read-back.js'
import { ErrorCode } from '../../src/protocol/errors.js'

let d: TestDaemon
let home: TempHome

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  home = await tempHome()
})
afterAll(async () => {
  if (d) await stopDaemon(d)
  await home?.cleanup()
})

interface Summary {
  topic: string
  records: number
  bytes: number
  partitions: Record<string, number>
  seconds: number
  recordsPerSecond: number
  skipped: number
  nullKeys?: number
  acks: string
  lastLine: number
  interrupted: boolean
}

function produce(args: string[], input?: string, env: Record<string, string> = {}) {
  return sluice(['produce', ...args], { env: { ...d.env, ...env }, input: input ?? '' })
}

async function produceJson(args: string[], input: string): Promise<Summary> {
  const r = await produce([...args, '--json'], input)
  expect(r.exitCode, r.stderr + r.stdout).toBe(0)
  return JSON.parse(r.stdout) as Summary
}

function errorOf(stdout: string): { code: string; message: string } {
  return (JSON.parse(stdout) as { error: { code: string; message: string } }).error
}

const lines = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: from + i, name: `user-${(from + i) % 7}` }))
/** Reads a topic once it holds `count` records (or after a bounded wait): for writes nothing confirms. */
/** The topic's records once there are at least `count` (it gives up only on a hang). */
async function readTopicWhen(topic: string, count: number): Promise<ReadRecord[]> {
  return until(`${count} records in ${topic}`, async () => {
    const got = await readTopic(d.port, topic).catch((): ReadRecord[] => [])
    return got.length >= count ? got : undefined
  }, HANG_MS, 25)
}

const sortByValue = (rs: ReadRecord[]): string[] => rs.map((r) => r.value!).sort()

async function withAdmin<T>(bootstrap: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: 'produce-test', bootstrapBrokers: [bootstrap] })
  try {
    return await fn(admin)
  } finally {
    await admin.close()
  }
}

// Tests use distinct topics and share one daemon, so they run concurrently (most of their time is
// the CLI starting up); the other cluster's tests depend on their order and run in sequence.
describe.concurrent('sluice produce', () => {
  it('sends every line once, bytes as read: CRLF, blank lines, a last line without newline', async () => {
    const values = ['{"a":1}', '{ "spaced" : [1, 2.50, 1e3] }', '"text é ✓"', '12345678901234567890', 'null', '[]']
    const input = `${values[0]}\r\n\n${values[1]}\n   \n${values[2]}\r\n${values[3]}\n${values[4]}\n${values[5]}`
    const s = await produceJson(['plain'], input)
    expect(s).toMatchObject({ topic: 'plain', records: 6, skipped: 0, acks: 'all', lastLine: 8, interrupted: false })
    expect(s.bytes).toBe(values.reduce((n, v) => n + Buffer.byteLength(v), 0))
    expect(Object.values(s.partitions).reduce((a, n) => a + n, 0)).toBe(6)
    expect(Object.keys(s.partitions)).toEqual(['0', '1', '2'])
    const got = await readTopic(d.port, 'plain')
    expect(sortByValue(got)).toEqual([...values].sort())
    expect(got.every((r) => r.key === null && r.headers.length === 0)).toBe(true)
  })

  it('20,000 lines over many batches: none lost, none duplicated, each partition in input order', async () => {
    const input = lines(20_000)
    const s = await produceJson(['many'], input.join('\n') + '\n')
    expect(s.records).toBe(20_000)
    const got = await readTopic(d.port, 'many')
    expect(got).toHaveLength(20_000)
    expect(new Set(got.map((r) => r.value)).size).toBe(20_000)
    expect(sortByValue(got)).toEqual([...input].sort())
    for (const p of [0, 1, 2]) {
      const ids = got.filter((r) => r.partition === p).map((r) => (JSON.parse(r.value!) as { id: number }).id)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(s.partitions[String(p)]).toBe(ids.length)
    }
    // Unkeyed records are spread a batch (up to 10,000 records) at a time, not all on one partition.
    expect(new Set(got.map((r) => r.partition)).size).toBeGreaterThanOrEqual(2)
  })

  it('--file reads a file; an empty input produces nothing; a missing file exits 4', async () => {
    const file = path.join(home.path, 'in.jsonl')
    fs.writeFileSync(file, lines(50).join('\n'))
    expect((await produceJson(['from-file', '--file', file], '')).records).toBe(50)
    expect(await readTopic(d.port, 'from-file')).toHaveLength(50)
    expect(await produceJson(['from-file'], '\n\n')).toMatchObject({ records: 0, bytes: 0, lastLine: 2 })
    const r = await produce(['from-file', '--file', path.join(home.path, 'nope.jsonl'), '--json'])
    expect(r.exitCode).toBe(4)
    expect(errorOf(r.stdout)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope.jsonl') })
  })

  describe('--key', () => {
    it('keys records by path and lands them where kafkajs DefaultPartitioner puts them', async () => {
      const input = Array.from({ length: 300 }, (_, i) => JSON.stringify({ customer: { id: i % 3 === 0 ? i : `cust-${i}` }, n: i }))
      const s = await produceJson(['keyed', '--key', '.customer.id'], input.join('\n'))
      expect(s).toMatchObject({ records: 300, nullKeys: 0 })
      const got = await readTopic(d.port, 'keyed')
      expect(got).toHaveLength(300)
      const partitioner = Partitioners.DefaultPartitioner()
      const partitionMetadata = [0, 1, 2].map((p) => ({ partitionId: p, leader: 1, replicas: [1], isr: [1], partitionErrorCode: ErrorCode.NONE }))
      for (const r of got) {
        const n = (JSON.parse(r.value!) as { n: number }).n
        expect(r.key).toBe(n % 3 === 0 ? String(n) : `cust-${n}`)
        expect(r.partition).toBe(partitioner({ topic: 'keyed', partitionMetadata, message: { key: r.key!, value: null } }))
      }
      expect(new Set(got.map((r) => r.partition)).size).toBe(3)
    })

    it('array paths and quoted names; a missing or null key sends the record unkeyed and is counted', async () => {
      const input = ['{"items":[{"sku":"a-1"}],"order-id":1}', '{"items":[]}', '{"items":[{"sku":null}]}'].join('\n')
      const s = await produceJson(['keyed-array', '--key', '.items[0].sku'], input)
      expect(s).toMatchObject({ records: 3, nullKeys: 2 })
      const keys = (await readTopic(d.port, 'keyed-array')).map((r) => r.key)
      expect(keys.sort()).toEqual(['a-1', null, null].sort())
      const r = await produce(['keyed-array', '--key', '.nope'], '{"a":1}')
      expect(r.stderr).toMatch(/1 without a key/)
    })

    it('a bad path, --key with --envelope, a bad topic name: usage errors (exit 2)', async () => {
      const r = await produce(['keyed', '--key', 'customer', '--json'], '{"a":1}')
      expect(r.exitCode).toBe(2)
      expect(errorOf(r.stdout)).toMatchObject({ code: 'USAGE', message: expect.stringContaining('--key') })
      const r2 = await produce(['keyed', '--key', '.a', '--envelope'], '{"a":1}')
      expect(r2.exitCode).toBe(2)
      const r3 = await produce(['bad name!', '--json'], '{"a":1}')
      expect(r3.exitCode).toBe(2)
      expect(errorOf(r3.stdout)).toMatchObject({ code: 'USAGE', message: expect.stringContaining('invalid topic name') })
    })
  })

  describe('--envelope', () => {
    it('copies a topic record for record: keys, values, headers, timestamps, partitions', async () => {
      // The source: keyed records with headers, a tombstone, an empty value, a non-JSON value.
      const src = [
        '{"topic":"x","partition":2,"offset":0,"timestamp":1700000000000,"key":"k1","value":{"v": 1},"headers":{"h":"1"}}',
        '{"topic":"x","partition":1,"offset":0,"timestamp":1700000000001,"key":null,"value":null,"headers":{}}',
        '{"topic":"x","partition":0,"offset":0,"timestamp":1700000000002,"key":"k3","value":"","headers":[["a","1"],["a","2"]],"valueEncoding":"string"}',
        '{"topic":"x","partition":0,"offset":1,"timestamp":1700000000003,"key":"k4","value":"plain text","headers":{"n":null},"valueEncoding":"string"}',
        '{"topic":"x","partition":2,"offset":1,"timestamp":1700000000004,"key":"k5","value":"//79","headers":{},"valueEncoding":"base64"}',
      ]
      expect((await produceJson(['env-a', '--envelope'], src.join('\n'))).records).toBe(5)
      const a = await readTopic(d.port, 'env-a')
      expect(a).toHaveLength(5)
      const byTs = new Map(a.map((r) => [r.timestamp, r]))
      expect(byTs.get(1700000000000)).toMatchObject({ partition: 2, key: 'k1', value: '{"v": 1}', headers: [['h', '1']] })
      expect(byTs.get(1700000000001)).toMatchObject({ partition: 1, key: null, value: null })
      expect(byTs.get(1700000000002)).toMatchObject({ partition: 0, key: 'k3', value: '', headers: [['a', '1'], ['a', '2']] })
      expect(byTs.get(1700000000003)).toMatchObject({ value: 'plain text', headers: [['n', null]] })

      // A then goes out as envelopes (the consume contract) and back in: B equals A.
      const envelopes = a.map(
        (r) =>
          encodeEnvelope(
            {
              topic: 'env-a',
              partition: r.partition,
              offset: r.offset,
              timestamp: r.timestamp,
              key: r.key === null ? null : Buffer.from(r.key),
              value: r.value === null ? null : r.timestamp === 1700000000004 ? Buffer.from('//79', 'base64') : Buffer.from(r.value),
              headers: r.headers.map(([k, v]) => [k, v === null ? null : Buffer.from(v)] as const),
            },
            { binary: true },
          ).line,
      )
      expect((await produceJson(['env-b', '--envelope'], envelopes.join('\n'))).records).toBe(5)
      const strip = (rs: ReadRecord[]) => rs.map(({ partition, offset, timestamp, key, value, headers }) => ({ partition, offset, timestamp, key, value, headers })).sort((x, y) => x.timestamp - y.timestamp)
      expect(strip(await readTopic(d.port, 'env-b'))).toEqual(strip(a))
    })

    it('consume A --exit | produce B --envelope copies a topic exactly (the real commands, through a pipe)', async () => {
      const src = [
        '{"partition":0,"timestamp":1700000000000,"key":"k1","value":{ "v" : 1.50 },"headers":[["h","1"],["h","2"]]}',
        '{"partition":1,"timestamp":1700000000001,"key":null,"value":null}',
        '{"partition":2,"timestamp":1700000000002,"key":"","value":"","valueEncoding":"string","headers":{"n":null}}',
        '{"partition":2,"timestamp":1700000000003,"key":"k4","value":"not json","valueEncoding":"string"}',
        '{"partition":0,"timestamp":1700000000004,"key":"//79","keyEncoding":"base64","value":"AAEC/w==","valueEncoding":"base64"}',
        ...lines(500).map((v, i) => `{"partition":${i % 3},"timestamp":${1700000001000 + i},"key":"k${i}","value":${v}}`),
      ]
      expect((await produceJson(['copy-a', '--envelope'], src.join('\n'))).records).toBe(505)
      const node = JSON.stringify(process.execPath)
      const bin = JSON.stringify(BIN)
      const r = await execa('bash', ['-c', `set -o pipefail; ${node} ${bin} consume copy-a --from earliest --exit --binary | ${node} ${bin} produce copy-b --envelope --json`], {
        env: cleanEnv(d.env),
        extendEnv: false,
        reject: false,
      })
      expect(r.exitCode, String(r.stderr)).toBe(0)
      expect(JSON.parse(String(r.stdout))).toMatchObject({ records: 505, skipped: 0 })
      const strip = (rs: ReadRecord[]) => rs.map(({ partition, offset, timestamp, key, value, headers }) => ({ partition, offset, timestamp, key, value, headers }))
      const a = await readTopic(d.port, 'copy-a')
      expect(a).toHaveLength(505)
      expect(strip(await readTopic(d.port, 'copy-b'))).toEqual(strip(a))
    })

    it('a partition the topic does not have goes through the default partitioner, with one note', async () => {
      const src = [0, 1, 2].map((i) => JSON.stringify({ partition: 7 + i, key: `k${i}`, value: { i } })).join('\n')
      const r = await produce(['env-missing', '--envelope', '--json'], src)
      expect(r.exitCode).toBe(0)
      expect(r.stderr.match(/does not exist/g)).toHaveLength(1)
      expect(r.stderr).toMatch(/partition 7 does not exist in env-missing \(3 partitions\)/)
      const partitioner = Partitioners.DefaultPartitioner()
      const partitionMetadata = [0, 1, 2].map((p) => ({ partitionId: p, leader: 1, replicas: [1], isr: [1], partitionErrorCode: ErrorCode.NONE }))
      for (const rec of await readTopic(d.port, 'env-missing')) {
        expect(rec.partition).toBe(partitioner({ topic: 't', partitionMetadata, message: { key: rec.key!, value: null } }))
      }
    })

    it('a line that is not an envelope stops the run with exit 6', async () => {
      const r = await produce(['env-bad', '--envelope', '--json'], '{"value":1}\n{"key":1,"value":2}\n{"value":3}')
      expect(r.exitCode).toBe(6)
      expect(errorOf(r.stdout)).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^line 2: not a valid envelope: key must be a string/) })
      expect((await readTopic(d.port, 'env-bad')).map((x) => x.value)).toEqual(['1'])
    })
  })

  it('--header adds headers to every record (repeatable); the summary goes to stderr; a header without "=" exits 2', async () => {
    const ok = await produce(['headers', '--header', 'source=cli', '--header', 'run=7', '-H', 'empty='], lines(3).join('\n'))
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toBe('')
    expect(ok.stderr).toMatch(/^sluice: produced 3 records \(\d+ B\) to headers in [\d.]+ s \([\d,]+ records\/s\); partition [\d:, ]+$/)
    const got = await readTopic(d.port, 'headers')
    expect(got).toHaveLength(3)
    for (const r of got) expect(r.headers).toEqual([['source', 'cli'], ['run', '7'], ['empty', '']])
    const r = await produce(['headers', '--header', 'novalue'], '{}')
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/bad --header "novalue"/)
  })

  it('--partition sends every record there; a partition the topic lacks exits 4', async () => {
    const s = await produceJson(['one-partition', '--partition', '2'], lines(100).join('\n'))
    expect(s.partitions).toEqual({ '0': 0, '1': 0, '2': 100 })
    expect(new Set((await readTopic(d.port, 'one-partition')).map((r) => r.partition))).toEqual(new Set([2]))
    const r = await produce(['one-partition', '--partition', '3', '--json'], '{}')
    expect(r.exitCode).toBe(4)
    expect(errorOf(r.stdout)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('has 3 partitions') })
    expect((await produce(['one-partition', '--partition', '-1'], '{}')).exitCode).toBe(2)
  })

  it('--acks 1 and 0 deliver too; a bad --acks exits 2', async () => {
    // Acknowledged by the leader alone: the records become readable once the followers have them.
    expect(await produceJson(['acks1', '--acks', '1'], lines(500).join('\n'))).toMatchObject({ records: 500, acks: '1' })
    expect(await readTopicWhen('acks1', 500)).toHaveLength(500)
    const r = await produce(['acks0', '--acks', '0'], lines(500).join('\n'))
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toMatch(/sent \(acks=0, unacknowledged\) 500 records/)
    expect(await readTopicWhen('acks0', 500)).toHaveLength(500)
    expect((await produce(['acks1', '--acks', '2'], '{}')).exitCode).toBe(2)
  })

  it('--compression gzip, snappy and lz4 store records readable by other clients', async () => {
    const input = lines(1000)
    for (const codec of ['gzip', 'snappy', 'lz4']) {
      const s = await produceJson([`comp-${codec}`, '--compression', codec], input.join('\n'))
      expect(s.records).toBe(1000)
    }
    expect(sortByValue(await readTopic(d.port, 'comp-gzip'))).toEqual([...input].sort())
    if (kcatPath) {
      for (const codec of ['snappy', 'lz4']) {
        const r = await kcat(['-C', '-b', d.bootstrap, '-t', `comp-${codec}`, '-e', '-q', '-f', '%s\n'])
        expect(r.exitCode, r.stderr).toBe(0)
        expect(r.stdout.trim().split('\n').sort()).toEqual([...input].sort())
      }
    }
  })

  describe('bad input', () => {
    it('a line that is not JSON stops the run after the records before it, none after (exit 6)', async () => {
      const input = [...lines(1500), '{"broken":', ...lines(10, 5000)].join('\n')
      const r = await produce(['bad-json', '--json'], input)
      expect(r.exitCode).toBe(6)
      const e = errorOf(r.stdout)
      expect(e.code).toBe('BAD_INPUT')
      expect(e.message).toMatch(/^line 1501: not valid JSON: /)
      expect(e.message).toMatch(/1500 records were acknowledged/)
      const got = await readTopic(d.port, 'bad-json')
      expect(got).toHaveLength(1500)
      expect(sortByValue(got)).toEqual(lines(1500).sort())
    })

    it('human output: one line naming the line and what is wrong, and a hint', async () => {
      const r = await produce(['bad-json-human'], '{"a":1}\n{"a":2}\nnope\n{"a":3}')
      expect(r.exitCode).toBe(6)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^sluice: line 3: not valid JSON: .*nope.*; stopped there: 2 records were acknowledged/)
      expect(r.stderr).toMatch(/--on-invalid skip/)
    })

    it('a line that is not UTF-8 is bad input', async () => {
      const r = await sluice(['produce', 'bad-utf8', '--json'], { env: d.env, input: Buffer.concat([Buffer.from('{"a":1}\n"'), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]) as unknown as string })
      expect(r.exitCode).toBe(6)
      expect(errorOf(r.stdout).message).toMatch(/^line 2: not valid UTF-8/)
    })

    it('--on-invalid skip reports each skipped line on stderr and goes on', async () => {
      const input = ['{"a":1}', 'bad one', '{"a":2}', '{"a":', '{"a":3}'].join('\n')
      const r = await produce(['skip', '--on-invalid', 'skip', '--json'], input)
      expect(r.exitCode).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ records: 3, skipped: 2 })
      expect(r.stderr).toMatch(/line 2 skipped: not valid JSON/)
      expect(r.stderr).toMatch(/line 4 skipped: not valid JSON/)
      expect(sortByValue(await readTopic(d.port, 'skip'))).toEqual(['{"a":1}', '{"a":2}', '{"a":3}'])
    })

    it('--dead-letter FILE gets the skipped lines as read (appended), stderr stays quiet', async () => {
      const file = path.join(home.path, 'dead.jsonl')
      fs.writeFileSync(file, 'earlier\n')
      const r = await produce(['dead', '--on-invalid', 'skip', '--dead-letter', file], '{"a":1}\nbad one\r\n{"a":2}\n{"a":')
      expect(r.exitCode).toBe(0)
      expect(r.stderr).not.toMatch(/skipped:/)
      expect(r.stderr).toMatch(/skipped 2 invalid lines/)
      expect(fs.readFileSync(file, 'utf8')).toBe('earlier\nbad one\n{"a":\n')
      const r2 = await produce(['dead', '--dead-letter', file], '{}')
      expect(r2.exitCode).toBe(2)
      expect(r2.stderr).toMatch(/--dead-letter needs --on-invalid skip/)
    })

    it('a record larger than the topic\'s max.message.bytes gets its own error naming the line and the limit', async () => {
      await withAdmin(d.bootstrap, (admin) =>
        admin.createTopics({ topics: ['small'], partitions: 1, replicas: 1, configs: [{ name: 'max.message.bytes', value: '1000' }] }),
      )
      const big = JSON.stringify({ pad: 'x'.repeat(2000) })
      const r = await produce(['small', '--json'], ['{"a":1}', big, '{"a":2}'].join('\n'))
      expect(r.exitCode).toBe(6)
      const e = errorOf(r.stdout)
      expect(e.code).toBe('RECORD_TOO_LARGE')
      expect(e.message).toMatch(/^line 2: the record is \d+ bytes, more than the topic accepts/)
      expect(e.message).toMatch(/939/) // 1000 less the 61-byte batch header
      expect((await readTopic(d.port, 'small')).map((x) => x.value)).toEqual(['{"a":1}'])
      // Many small records still go in batches under the limit.
      expect((await produceJson(['small'], lines(200).join('\n'))).records).toBe(200)
      // Skippable like any invalid line.
      const s = await produceJson(['small', '--on-invalid', 'skip'], [big, '{"a":3}'].join('\n'))
      expect(s).toMatchObject({ records: 1, skipped: 1 })
    })
  })

  it('Ctrl-C stops reading, waits for what was sent, reports it and exits 130', async () => {
    const child = spawnSluice(['produce', 'interrupted', '--json'], { env: d.env })
    child.stdin!.write(lines(100).join('\n') + '\n')
    // Records are sent as soon as the input pauses: wait until they are all in.
    await readTopicWhen('interrupted', 100)
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).toBe(130)
    expect(JSON.parse(String(r.stdout))).toMatchObject({ records: 100, interrupted: true, lastLine: 100 })
    expect(String(r.stderr)).toMatch(/interrupted after line 100: 100 records acknowledged/)
    expect(await readTopic(d.port, 'interrupted')).toHaveLength(100)
  })

  it('--progress shows a live count and rate on stderr', async () => {
    const child = spawnSluice(['produce', 'progress', '--progress'], { env: d.env })
    child.stdin!.write(lines(10).join('\n') + '\n')
    let stderr = ''
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        if (/records\/s/.test(stderr)) resolve()
      })
    })
    child.stdin!.end()
    const r = await child
    expect(r.exitCode).toBe(0)
    expect(stderr).toMatch(/sluice: 10 records \(.*\) acknowledged, [\d,]+ records\/s/)
  })

  describe.sequential('another cluster', () => {
    let other: TestDaemon
    beforeAll(async () => {
      other = await startDaemon({ brokers: 1 })
    })
    afterAll(async () => {
      if (other) await stopDaemon(other)
    })

    it('--bootstrap-server (or $SLUICE_BOOTSTRAP_SERVER) produces there and starts no local daemon', async () => {
      const emptyHome = await tempHome()
      try {
        const r = await sluice(['produce', 'remote', '--bootstrap-server', other.bootstrap, '--json'], { home: emptyHome.path, input: lines(10).join('\n') })
        expect(r.exitCode, r.stderr).toBe(0)
        const r2 = await sluice(['produce', 'remote', '--json'], { home: emptyHome.path, env: { SLUICE_BOOTSTRAP_SERVER: other.bootstrap }, input: lines(5).join('\n') })
        expect(r2.exitCode, r2.stderr).toBe(0)
        expect(await readTopic(other.port, 'remote')).toHaveLength(15)
        expect(fs.existsSync(path.join(emptyHome.path, 'daemon.pid'))).toBe(false)
      } finally {
        await emptyHome.cleanup()
      }
    })

    it('a missing topic on a cluster that does not auto-create exits 4 and says what to do', async () => {
      await withAdmin(other.bootstrap, (admin) =>
        admin.incrementalAlterConfigs({
          resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: '1', configs: [{ name: 'auto.create.topics.enable', configOperation: 0, value: 'false' }] }],
        }),
      )
      const r = await sluice(['produce', 'not-there', '--bootstrap-server', other.bootstrap, '--json'], { home: home.path, input: '{}' })
      expect(r.exitCode).toBe(4)
      expect(errorOf(r.stdout)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/topic not-there does not exist.*auto\.create\.topics\.enable.*sluice topic create not-there/) })
    })

    it('an unreachable cluster exits 3', async () => {
      const r = await sluice(['produce', 'x', '--bootstrap-server', '127.0.0.1:1', '--json'], { home: home.path, input: '{}' })
      expect(r.exitCode).toBe(3)
      expect(errorOf(r.stdout).code).toBe('CLUSTER_UNREACHABLE')
    })
  })
})
