/**
 * A corrupt batch found while the cluster runs, on the two paths the restart checks do not cover:
 * a consumer's fetch from the leader (the batch is older than the tail read when a log opens) and
 * the background scrub of a follower. The in-process cluster (real LevelDB, real TCP) is stopped,
 * one stored batch is damaged with LevelDB directly, and it is started again.
 */
import { ClassicLevel } from 'classic-level'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { PartitionKeys } from '../../src/storage/keys.js'
import { until } from '../helpers/wait.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { RawClient } from '../support/raw-client.js'
import { fetchRequest } from '../support/fetch-request.js'
import { readTopic } from '../support/read-back.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const RESOURCE_BROKER = 4
const TOPIC = 'scrubbed'
/** Past the 100,000 offsets a log reads back when it opens (to rebuild producer state). */
const BATCHES = 110
const RECORDS_PER_BATCH = 1000

let cluster: TestCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

async function request(brokerId: number, apiKey: number, version: number, body: unknown): Promise<any> {
  const client = await RawClient.connect(cluster!.port + brokerId - 1)
  try {
    return await client.request(apiKey, version, body)
  } finally {
    client.close()
  }
}

function partition0() {
  return cluster!.runtime.image.partition(TOPIC, 0)!
}

/** One partition on every broker, auto leader rebalancing off (leadership stays where it goes). */
async function fill(): Promise<void> {
  const configs = [{ name: 'auto.leader.rebalance.enable', configOperation: 0, value: 'false' }]
  await request(1, ApiKey.IncrementalAlterConfigs, 0, { resources: [{ resourceType: RESOURCE_BROKER, resourceName: '', configs }], validateOnly: false })
  const created = await request(1, ApiKey.CreateTopics, 7, {
    topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  })
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
  for (let b = 0; b < BATCHES; b++) {
    const records = encodeRecordBatch({
      baseTimestamp: Date.now(),
      records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: null, value: `v${b * RECORDS_PER_BATCH + i}`, timestampDelta: 0 })),
    })
    const res = await request(partition0().leader, ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
    })
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
  }
}

/** Stops the cluster and edits one value of `brokerId`'s copy of partition 0 with LevelDB directly. */
async function damage(brokerId: number, key: (keys: PartitionKeys) => Buffer, edit: (bytes: Buffer) => Buffer): Promise<void> {
  const topicId = partition0().topicId
  await cluster!.runtime.close()
  const db = new ClassicLevel<Buffer, Buffer>(path.join(cluster!.home, 'brokers', String(brokerId)), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  const k = key(new PartitionKeys(topicId, 0))
  await db.put(k, edit(Buffer.from((await db.get(k))!)))
  await db.close()
}

/** Flips a byte inside the records of the stored batch at offset 0 of `brokerId`'s copy. */
function damageFirstBatch(brokerId: number): Promise<void> {
  return damage(
    brokerId,
    (keys) => keys.data(0),
    (bytes) => {
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x01
      return bytes
    },
  )
}

async function expectAllIntact(): Promise<void> {
  const records = await until('every record to read back', () => readTopic(cluster!.port, TOPIC).catch(() => undefined), 30_000)
  expect(records.length).toBe(BATCHES * RECORDS_PER_BATCH)
  expect(records.every((r, i) => r.offset === i && r.value === `v${i}`)).toBe(true)
}

async function recovered(brokerId: number) {
  return until(`broker ${brokerId} to recover`, () => {
    const r = cluster!.runtime.status().recoveries.find((x) => x.broker === brokerId && x.topic === TOPIC)
    return r?.state === 'recovered' && partition0().isr.includes(brokerId) ? r : undefined
  })
}

describe('broker/corrupt-replica', () => {
  it('a consumer fetch of a corrupt batch gets KAFKA_STORAGE_ERROR, never its bytes, and the leader recovers', async () => {
    cluster = await startTestCluster({ brokers: 3, scrubOnOpen: false })
    await fill()
    // A restart elects deterministically: see who leads after one, then damage that broker's copy.
    await cluster.restart()
    const leader = await until('a leader', () => (partition0().leader > 0 ? partition0().leader : undefined))
    await damageFirstBatch(leader)
    await cluster.restart()
    expect(partition0().leader).toBe(leader)

    // Right after the restart the leader may still be opening its log (LEADER_NOT_AVAILABLE).
    const part = await until('the leader to answer', async () => {
      const p = (await request(leader, ApiKey.Fetch, 12, fetchRequest(TOPIC, 0))).responses[0].partitions[0]
      return p.errorCode === ErrorCode.LEADER_NOT_AVAILABLE ? undefined : p
    })
    expect(part.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
    expect(part.records.length ?? 0).toBe(0)

    const recovery = await recovered(leader)
    expect(recovery).toMatchObject({ firstOffset: 0, lastOffset: RECORDS_PER_BATCH - 1, truncatedTo: 0 })
    expect(recovery.reason).toMatch(/CRC-32C/)
    await expectAllIntact()
  }, 120_000)

  it('the background scrub finds a corrupt batch on a follower', async () => {
    cluster = await startTestCluster({ brokers: 3 })
    await fill()
    await cluster.restart()
    const leader = await until('a leader', () => (partition0().leader > 0 ? partition0().leader : undefined))
    const follower = partition0().replicas.find((id) => id !== leader)!
    await damageFirstBatch(follower)
    await cluster.restart()

    const recovery = await recovered(follower)
    expect(recovery.firstOffset).toBe(0)
    await expectAllIntact()
  }, 120_000)

  it('a log that cannot be opened (its state is unreadable) is fetched again in full', async () => {
    cluster = await startTestCluster({ brokers: 3 })
    await fill()
    await cluster.restart()
    const leader = await until('a leader', () => (partition0().leader > 0 ? partition0().leader : undefined))
    const follower = partition0().replicas.find((id) => id !== leader)!
    await damage(follower, (keys) => keys.state(), () => Buffer.from('not json'))
    await cluster.restart()

    const recovery = await recovered(follower)
    expect(recovery).toMatchObject({ firstOffset: 0, lastOffset: -1, truncatedTo: 0 })
    expect(recovery.reason).toMatch(/cannot be opened/)
    await expectAllIntact()
  }, 120_000)
})
