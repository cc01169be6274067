/**
 * An idempotent producer's retry is recognised after a daemon restart even when the producer's
 * last batch is far behind the log end: the partition's producer state is snapshotted and loaded
 * back, not rebuilt from the log's last stretch (which forgot the producer, and stored its
 * retried batch a second time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'
import { RawClient } from '../support/raw-client.js'

const PRODUCE = { key: 0, version: 8 }
const INIT_PRODUCER_ID = { key: 22, version: 1 }

function produceRequest(topic: string, records: Buffer): unknown {
  return { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }
}

describe('e2e/idempotent-restart', () => {
  let d: TestDaemon
  beforeAll(async () => {
    d = await startDaemon({ brokers: 1 })
  })
  afterAll(async () => {
    if (d) await stopDaemon(d)
  })

  it("a retried batch from a producer 110,000 offsets behind the log end is answered with its offsets after a restart, not stored again", async () => {
    const opts = { home: d.home, env: d.env }
    expect((await sluice(['topic', 'create', 'idem', '--partitions', '1'], opts)).exitCode).toBe(0)
    let client = await RawClient.connect(d.port)
    const init = await client.request(INIT_PRODUCER_ID.key, INIT_PRODUCER_ID.version, { transactionalId: null, transactionTimeoutMs: 60_000 })
    expect(init.errorCode).toBe(ErrorCode.NONE)
    const batch = (): Buffer =>
      encodeRecordBatch({
        records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }],
        baseTimestamp: Date.now(),
        producerId: Number(init.producerId),
        producerEpoch: init.producerEpoch,
        baseSequence: 0,
      })
    const first = await client.request(PRODUCE.key, PRODUCE.version, produceRequest('idem', batch()))
    const original = first.responses[0].partitionResponses[0]
    expect(original.errorCode).toBe(ErrorCode.NONE)

    // Others write 110,000 records after it.
    for (let i = 0; i < 11; i++) {
      const others = encodeRecordBatch({ records: Array.from({ length: 10_000 }, (_, n) => ({ value: `o${i}-${n}` })), baseTimestamp: Date.now() })
      const r = await client.request(PRODUCE.key, PRODUCE.version, produceRequest('idem', others))
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    }
    client.socket.destroy()
    expect((await sluice(['daemon', 'stop'], opts)).exitCode).toBe(0)
    expect((await sluice(['daemon', 'start'], opts)).exitCode).toBe(0)

    client = await RawClient.connect(d.port)
    const retried = await client.request(PRODUCE.key, PRODUCE.version, produceRequest('idem', batch()))
    client.socket.destroy()
    const answer = retried.responses[0].partitionResponses[0]
    expect(answer.errorCode).toBe(ErrorCode.NONE)
    expect(Number(answer.baseOffset)).toBe(Number(original.baseOffset))
    const described = await sluice(['topic', 'describe', 'idem', '--json'], opts)
    expect(described.stdout).toContain('"endOffset":110003')
  })
})
