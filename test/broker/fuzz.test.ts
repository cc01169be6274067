/**
 * Hostile input: random, truncated, oversized and mutated frames on many connections. Each bad
 * connection is closed; a healthy client keeps producing throughout, and every acknowledged
 * record reads back exactly once. Seeded: a failure prints the seed, and SLUICE_FUZZ_SEED replays it.
 */
import net from 'node:net'
import { Producer, stringSerializers } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seededRng, type Rng } from '../../src/cluster/rng.js'
import { encodeRequest } from '../../src/protocol/frame.js'
import { concatChunks } from '../../src/protocol/primitives.js'
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { RawClient } from '../support/raw-client.js'
import { fetchRequest } from '../support/fetch-request.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const ROUNDS = 60
const FRAMES_PER_ROUND = 25

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = rng.int(256)
  return b
}

function sized(body: Buffer, claimed = body.length): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(claimed)
  return Buffer.concat([size, body])
}

function validProduce(topic: string): Buffer {
  const records = encodeRecordBatch({ baseTimestamp: Date.now(), records: [{ value: 'fuzz' }] })
  return concatChunks(
    encodeRequest(ApiKey.Produce, 8, 1, 'fuzzer', {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    }),
  )
}

/** One hostile frame (with its size prefix, or deliberately not). */
function hostileFrame(rng: Rng): Buffer {
  const template = validProduce('fuzz-target')
  switch (rng.int(8)) {
    case 0:
      return randomBytes(rng, 1 + rng.int(200))
    case 1:
      return sized(randomBytes(rng, rng.int(300)))
    case 2:
      // A valid frame cut short.
      return template.subarray(0, 1 + rng.int(template.length - 1))
    case 3:
      // A size far above the cap: must be refused before anything is allocated.
      return sized(Buffer.alloc(8), 0x7fffffff - rng.int(1000))
    case 4:
      return sized(Buffer.alloc(8), -1 - rng.int(1000))
    case 5: {
      // A valid header for an API that does not exist, or a version that is not served.
      const body = Buffer.from(template.subarray(4))
      if (rng.int(2) === 0) body.writeInt16BE(100 + rng.int(30000), 0)
      else body.writeInt16BE(20 + rng.int(100), 2)
      return sized(body)
    }
    case 6: {
      // Bit flips in a valid produce request.
      const mutated = Buffer.from(template)
      const flips = 1 + rng.int(4)
      for (let i = 0; i < flips; i++) mutated[4 + rng.int(mutated.length - 4)]! ^= 1 << rng.int(8)
      return mutated
    }
    default: {
      // A valid header followed by a body truncated at a random point.
      const cut = 4 + 12 + rng.int(template.length - 16)
      const body = template.subarray(4, cut)
      return sized(body)
    }
  }
}

function sendAndClose(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes)
      // Give the broker a moment to answer or close; then close from our side.
      setTimeout(() => socket.destroy(), 20)
    })
    socket.on('error', () => undefined)
    socket.on('close', () => resolve())
  })
}

describe('broker/fuzz', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it(`survives hostile frames while a healthy client produces (seed ${SEED})`, async () => {
    const rng = seededRng(SEED)
    const producer = new Producer({
      clientId: 'healthy',
      bootstrapBrokers: [cluster.bootstrap],
      serializers: stringSerializers,
      autocreateTopics: true,
    })
    try {
      // Records that exist before the fuzzing starts must be untouched after it.
      await producer.send({ messages: [{ topic: 'healthy', value: 'before', partition: 0 }], acks: -1 })
      const acknowledged = ['before']
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(
          Array.from({ length: FRAMES_PER_ROUND }, () =>
            sendAndClose(cluster.port + rng.int(cluster.brokers), hostileFrame(rng)),
          ),
        )
        const value = `healthy-${round}`
        await producer.send({ messages: [{ topic: 'healthy', value, partition: 0 }], acks: -1 })
        acknowledged.push(value)
      }

      const md = await RawClient.connect(cluster.port)
      const meta = await md.request(ApiKey.Metadata, 9, { topics: [{ name: 'healthy' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
      md.close()
      const leader = await RawClient.connect(cluster.port + meta.topics[0].partitions[0].leaderId - 1)
      const f = await leader.request(ApiKey.Fetch, 12, fetchRequest('healthy', 0, { partitionMaxBytes: 10_000_000 }))
      leader.close()
      const values = decodeRecordBatches(f.responses[0].partitions[0].records).flatMap((b) => b.records.map((r) => r.value!.toString()))
      expect(values, `seed ${SEED}`).toEqual(acknowledged)
    } finally {
      await producer.close()
    }
  })
})
