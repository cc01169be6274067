/**
 * What a user reading topics sees of transactions, through the built binary against a daemon,
 * with kafkajs's transactional producer writing: a committed transaction, an aborted one, a
 * record outside any transaction, and a transaction left open. `consume --exit` shows only what
 * committed and stops at the last stable offset (before the open transaction, without waiting
 * for it); `--isolation read_uncommitted` shows everything; `--show-control` adds the markers as
 * lines of their own; tail and replay read committed too; a bad --isolation is exit 2.
 */
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

const { Kafka, logLevel } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

let d: TestDaemon
let kafka: InstanceType<typeof Kafka>
const producers: kafkajs.Producer[] = []
const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })

interface Line {
  partition: number
  offset: number
  value?: Record<string, number>
  control?: string
  producerId?: number
  producerEpoch?: number
}
const linesOf = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line)
/** Each line as "partition:what", in output order per partition. */
const shown = (stdout: string): string[] =>
  linesOf(stdout)
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    .map((l) => `${l.partition}:${l.control ?? Object.keys(l.value!)[0]}${l.control ? '' : Object.values(l.value!)[0]}`)

async function transactionalProducer(transactionalId: string): Promise<kafkajs.Producer> {
  const p = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true })
  await p.connect()
  producers.push(p)
  return p
}

beforeAll(async () => {
  d = await startDaemon({ brokers: 1 })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'txn-read', brokers: [d.bootstrap], logLevel: logLevel.NOTHING })
  for (const topic of ['tr', 'tr-open']) {
    const c = await run(['topic', 'create', topic, '--partitions', '2'])
    expect(c.exitCode, c.stderr).toBe(0)
  }
  // tr: committed c1 (p0), c2 (p1); aborted a1 (p0), a2 (p1); then p1 outside any transaction.
  const p = await transactionalProducer('txn-read-a')
  let t = await p.transaction()
  await t.send({ topic: 'tr', messages: [{ value: '{"c":1}', partition: 0 }, { value: '{"c":2}', partition: 1 }] })
  await t.commit()
  t = await p.transaction()
  await t.send({ topic: 'tr', messages: [{ value: '{"a":1}', partition: 0 }, { value: '{"a":2}', partition: 1 }] })
  await t.abort()
  const plain = kafka.producer()
  await plain.connect()
  producers.push(plain)
  await plain.send({ topic: 'tr', acks: -1, messages: [{ value: '{"p":1}', partition: 0 }] })
  // tr-open: o1 committed on p0, then o2 (p0) and o3 (p1) in a transaction left open, then p2
  // on p1 outside it (behind the open transaction: read_committed stops before it).
  t = await p.transaction()
  await t.send({ topic: 'tr-open', messages: [{ value: '{"o":1}', partition: 0 }] })
  await t.commit()
  const open = await transactionalProducer('txn-read-open')
  const ot = await open.transaction()
  await ot.send({ topic: 'tr-open', messages: [{ value: '{"o":2}', partition: 0 }, { value: '{"o":3}', partition: 1 }] })
  await plain.send({ topic: 'tr-open', acks: -1, messages: [{ value: '{"p":2}', partition: 1 }] })
})

afterAll(async () => {
  await Promise.allSettled(producers.map((p) => p.disconnect()))
  if (d) await stopDaemon(d)
})

describe.concurrent('reading transactions', () => {
  it('consume --exit shows only committed records (and records outside transactions)', async () => {
    const r = await run(['consume', 'tr', '--exit'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(shown(r.stdout)).toEqual(['0:c1', '0:p1', '1:c2'])
  })

  it('--isolation read_uncommitted shows the aborted records too, never a marker', async () => {
    const r = await run(['consume', 'tr', '--exit', '--isolation', 'read_uncommitted'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(shown(r.stdout)).toEqual(['0:c1', '0:a1', '0:p1', '1:c2', '1:a2'])
  })

  it('--show-control adds each marker as a line of its own, with its producer', async () => {
    const r = await run(['consume', 'tr', '--exit', '--show-control'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(shown(r.stdout)).toEqual(['0:c1', '0:commit', '0:abort', '0:p1', '1:c2', '1:commit', '1:abort'])
    const markers = linesOf(r.stdout).filter((l) => l.control !== undefined)
    expect(new Set(markers.map((m) => `${m.producerId}/${m.producerEpoch}`)).size).toBe(1)
    expect(Object.keys(markers[0]!).sort()).toEqual(['control', 'offset', 'partition', 'producerEpoch', 'producerId', 'timestamp', 'topic'])
    // --max counts records, not markers.
    const max = await run(['consume', 'tr', '--exit', '--show-control', '--partition', '0', '--max', '2'])
    expect(shown(max.stdout)).toEqual(['0:c1', '0:commit', '0:abort', '0:p1'])
  })

  it('--exit stops at the last stable offset: an open transaction holds back what follows it, and nothing waits for it', async () => {
    const r = await run(['consume', 'tr-open', '--exit'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(shown(r.stdout)).toEqual(['0:o1'])
    const all = await run(['consume', 'tr-open', '--exit', '--isolation', 'read_uncommitted'])
    expect(shown(all.stdout)).toEqual(['0:o1', '0:o2', '1:o3', '1:p2'])
  })

  it('tail (not a terminal) and replay read committed too', async () => {
    const tail = spawnSluice(['tail', 'tr', '--from', 'earliest'], { home: d.home, env: d.env })
    let out = ''
    tail.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
    // Records come in offset order per partition: an aborted one would show before p1.
    await until('tail to show three records', () => (linesOf(out).length >= 3 ? true : undefined))
    tail.kill('SIGTERM')
    await tail
    expect(shown(out)).toEqual(['0:c1', '0:p1', '1:c2'])
    const replay = await run(['replay', 'tr', '--from', 'earliest'])
    expect(replay.exitCode, replay.stderr).toBe(0)
    expect(shown(replay.stdout)).toEqual(['0:c1', '0:p1', '1:c2'])
    const uncommitted = await run(['replay', 'tr', '--from', 'earliest', '--isolation', 'read_uncommitted'])
    expect(shown(uncommitted.stdout)).toEqual(['0:c1', '0:a1', '0:p1', '1:c2', '1:a2'])
  })

  it('consume --group reads committed: the group commits past the markers and the aborted records', async () => {
    const r = await run(['consume', 'tr', '--group', 'txn-readers', '--exit'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(shown(r.stdout)).toEqual(['0:c1', '0:p1', '1:c2'])
    const again = await run(['consume', 'tr', '--group', 'txn-readers', '--exit'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toBe('')
  })

  it('consume --group waits while a transaction holds offsets of its group, then starts where it committed them', async () => {
    const p = await transactionalProducer('txn-read-offsets')
    const t = await p.transaction()
    await t.sendOffsets({ consumerGroupId: 'txn-offsets', topics: [{ topic: 'tr', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '0' }] }] })
    const consume = spawnSluice(['consume', 'tr', '--group', 'txn-offsets', '--exit'], { home: d.home, env: d.env })
    let err = ''
    consume.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
    await until('consume --group to say it waits for the transaction', () => (/transaction still open/.test(err) ? true : undefined))
    await t.commit()
    const r = await consume
    expect(r.exitCode, err).toBe(0)
    expect(shown(String(r.stdout))).toEqual(['0:p1', '1:c2'])
  })

  it('a wrong --isolation, or --show-control with another format, is exit 2 naming the flag', async () => {
    const [bad, format] = await Promise.all([run(['consume', 'tr', '--isolation', 'committed']), run(['consume', 'tr', '--show-control', '--format', 'value'])])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/--isolation.*read_committed, read_uncommitted/)
    expect(format.exitCode).toBe(2)
    expect(format.stderr).toMatch(/--show-control/)
  })
})
