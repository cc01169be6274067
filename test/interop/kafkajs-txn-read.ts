/**
 * Reading a topic to a known end with kafkajs, for the transaction tests: a test writes END on
 * every partition in a committed transaction of its own (writeEnd) and reads until it has seen
 * them all (readUntilEnd). A transaction's records are decided (committed or aborted) once a later
 * transaction's records are visible, so the read is complete without waiting for a quiet period.
 */
import kafkajs from 'kafkajs'
import { until } from '../helpers/index.js'

type Kafka = InstanceType<typeof kafkajs.Kafka>

export const END = 'end'

export interface Read {
  partition: number
  offset: number
  value: string
}

let readers = 0

/**
 * Every record of `topic` before the END sentinels, read by a fresh kafkajs consumer group. Fetches
 * wait at most 250 ms for data (kafkajs's default is 5 s): a partition already at its end would
 * otherwise hold each round back.
 */
export async function readUntilEnd(kafka: Kafka, topic: string, partitions: number, readUncommitted = false): Promise<Read[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${++readers}`, readUncommitted, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 250 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const got: Read[] = []
  const ends = new Set<number>()
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const value = message.value?.toString() ?? ''
      if (value === END) ends.add(partition)
      else if (!ends.has(partition)) got.push({ partition, offset: Number(message.offset), value })
    },
  })
  try {
    await until(`the end of ${topic} on all ${partitions} partitions`, () => (ends.size === partitions ? true : undefined))
  } finally {
    await consumer.disconnect()
  }
  return got
}

/** Writes the END sentinel on every partition of `topic` in a committed transaction of its own. */
export async function writeEnd(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const producer = kafka.producer({ transactionalId: `end-${topic}`, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    const txn = await producer.transaction()
    await txn.send({ topic, messages: Array.from({ length: partitions }, (_, partition) => ({ value: END, partition })) })
    await txn.commit()
  } finally {
    await producer.disconnect()
  }
}

