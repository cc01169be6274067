/**
 * `sluice consume A --exit | sluice produce B --envelope` copies a topic exactly: every record's
 * partition, offset, timestamp, key, value and headers (order and repeats included) read back
 * from B byte for byte as from A, through sluice's own codec. The source records are written
 * as raw Produce requests (so they can hold anything Kafka allows: binary keys, null header
 * values, values with line breaks) plus a gzip batch from kafkajs.
 */
import { execa } from 'execa'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeRecordBatch, decodeRecordBatches, type RecordInput } from '../../src/protocol/record-batch.js'
import { BIN, cleanEnv, HANG_MS, KAFKAJS_UNDER_LOAD, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'
import { brokerClients } from '../support/broker-clients.js'
import { fetchRequest } from '../support/fetch-request.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const { Kafka, CompressionTypes, logLevel } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'


let d: TestDaemon
let kafka: InstanceType<typeof Kafka>
const clients = brokerClients((id) => d.brokers.find((b) => b.id === id)!.port)
const broker = clients.broker

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'copy-e2e', brokers: [d.bootstrap], logLevel: logLevel.NOTHING })
})

afterAll(async () => {
  clients.close()
  if (d) await stopDaemon(d)
})

async function leaders(topic: string): Promise<Map<number, number>> {
  const md = await (await broker(d.brokers[0]!.id)).request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  return new Map(md.topics[0].partitions.map((p: { partitionIndex: number; leaderId: number }) => [p.partitionIndex, p.leaderId]))
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

async function produceRaw(topic: string, partition: number, records: RecordInput[], baseTimestamp: number): Promise<void> {
  const leader = await broker((await leaders(topic)).get(partition)!)
  const body = {
    transactionalId: null,
    acks: -1,
    timeoutMs: HANG_MS,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch({ baseTimestamp, records }) }] }],
  }
  const r = await leader.request(ApiKey.Produce, 8, body)
  expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
}

interface Stored {
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: [string, string | null][]
}

const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'))

/** Every record of a topic as stored (bytes as hex), partition by partition, in offset order. */
async function readRaw(topic: string): Promise<Stored[]> {
  const out: Stored[] = []
  for (const [partition, leaderId] of [...(await leaders(topic))].sort((a, b) => a[0] - b[0])) {
    const leader = await broker(leaderId)
    let offset = 0
    for (;;) {
      const f = await leader.request(ApiKey.Fetch, 12, fetchRequest(topic, offset, { partition, maxBytes: 50_000_000, partitionMaxBytes: 10_000_000 }))
      const part = f.responses[0].partitions[0]
      expect(part.errorCode).toBe(ErrorCode.NONE)
      const before = offset
      for (const b of decodeRecordBatches(part.records)) {
        for (const r of b.records) {
          if (r.offset < offset) continue
          out.push({ partition, offset: r.offset, timestamp: r.timestamp, key: hex(r.key), value: hex(r.value), headers: r.headers.map((h) => [h.key, hex(h.value)]) })
          offset = r.offset + 1
        }
      }
      if (offset >= part.highWatermark || offset === before) break
    }
  }
  return out
}

/** Runs `sluice consume <from> ... | sluice produce <to> --envelope` in a shell; both must exit 0. */
async function copy(from: string, to: string, consumeFlags: string[] = []): Promise<void> {
  const sluice = `"${process.execPath}" "${BIN}"`
  const script = `${sluice} consume ${from} --exit ${consumeFlags.join(' ')} | ${sluice} produce ${to} --envelope; echo "exits: \${PIPESTATUS[0]} \${PIPESTATUS[1]}" >&2`
  const r = await execa('bash', ['-c', script], { env: cleanEnv(d.env, d.home), extendEnv: false, reject: false, timeout: HANG_MS })
  expect(String(r.stderr)).toMatch(/exits: 0 0$/)
}

const T0 = 1_795_460_244_909

/** Records with everything the envelope has to carry; `binary` adds bytes that are not UTF-8. */
function exoticRecords(partition: number, binary: boolean): RecordInput[] {
  const records: RecordInput[] = [
    { key: `k${partition}`, value: '{"a": 1,  "b":[1.50, 1e3],"s":"é✓"}', headers: [{ key: 'trace', value: 't1' }, { key: 'trace', value: 't2' }] },
    { key: null, value: 'plain text, not JSON', timestampDelta: 1 },
    { key: '', value: '', timestampDelta: 2 },
    { key: 'tombstone', value: null, timestampDelta: 3, headers: [{ key: 'null-header', value: null }] },
    { key: 'multi-line', value: 'line 1\nline 2\r\n', timestampDelta: 4 },
    { key: 'json-string', value: '"quoted"', timestampDelta: 5 },
    { key: 'json-number', value: '12.50', timestampDelta: 6 },
    { key: 'null', value: 'null', timestampDelta: 7 },
    { key: 'json-null-header', value: 'null', timestampDelta: 7, headers: [{ key: 'h', value: 'null' }] },
    { key: 'unicode key ✓', value: '[]', timestampDelta: -5, headers: [{ key: 'empty', value: '' }] },
  ]
  if (binary) {
    records.push(
      { key: Buffer.from([0xff, 0x00, 0x80]), value: Buffer.from([0x00, 0x01, 0xfe, 0xff]), timestampDelta: 8 },
      { key: 'bin-header', value: '{}', timestampDelta: 9, headers: [{ key: 'raw', value: Buffer.from([0xc3, 0x28]) }, { key: 'ok', value: 'text' }] },
    )
  }
  return records
}

describe('copy a topic: consume --exit | produce --envelope', () => {
  it('copies every record exactly (with --binary for bytes that are not UTF-8), in the same partitions', async () => {
    await Promise.all([createTopic('copy-a', 3), createTopic('copy-b', 3)])
    for (const p of [0, 1, 2]) await produceRaw('copy-a', p, exoticRecords(p, true), T0 + p * 1000)
    // A gzip batch from a real client, and more than one batch per partition.
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: 'copy-a',
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, key: `gz${i}`, value: JSON.stringify({ i }), timestamp: String(T0 + 10_000 + i) })),
    })
    await producer.disconnect()

    const source = await readRaw('copy-a')
    expect(source).toHaveLength(3 * 12 + 30)
    await copy('copy-a', 'copy-b', ['--binary'])
    const copied = await readRaw('copy-b')
    expect(copied).toEqual(source)
  })

  it('copies a UTF-8 topic exactly without --binary', async () => {
    await Promise.all([createTopic('copy-text-a', 2), createTopic('copy-text-b', 2)])
    for (const p of [0, 1]) await produceRaw('copy-text-a', p, exoticRecords(p, false), T0 - p)
    const source = await readRaw('copy-text-a')
    expect(source).toHaveLength(2 * 10)
    await copy('copy-text-a', 'copy-text-b')
    expect(await readRaw('copy-text-b')).toEqual(source)
  })

  // KNOWN BUG in the envelope contract (src/client/envelope.ts): a JSON value with spaces around
  // it is embedded as is, and parseEnvelope's span drops the spaces, so the copy loses them.
  // The fix belongs in isEmbeddableJson (embed only values without leading/trailing whitespace;
  // others as "valueEncoding":"string"), with the same rule in client/json-bytes.ts. Remove
  // `.fails` when it lands.
  it('copies a JSON value with spaces around it exactly', async () => {
    await Promise.all([createTopic('copy-pad-a', 1), createTopic('copy-pad-b', 1)])
    await produceRaw('copy-pad-a', 0, [{ value: '  {"padded":true}\t' }, { value: ' 1' }], T0)
    const source = await readRaw('copy-pad-a')
    await copy('copy-pad-a', 'copy-pad-b')
    expect(await readRaw('copy-pad-b')).toEqual(source)
  })
})
