#!/usr/bin/env node
/**
 * A consume-transform-produce app on kafkajs (for kafkajs-txn.test.ts): reads INPUT in group GROUP
 * (read_committed, no auto-commit) and, for each record, opens a transaction that writes
 * "out:<value>" to the same partition of OUTPUT and commits the record's next offset for the group
 * with sendOffsets, then commits. Every committed record is a line "committed <value>" on stdout.
 *
 * With CRASH_AT > 0, at its CRASH_AT-th record the app writes the output and the offsets, prints
 * "crash <value>" and kills itself with SIGKILL before EndTxn: the transaction stays open on the
 * cluster, as after a real crash. SIGTERM stops it cleanly.
 *
 *   kafkajs-ctp-app.mjs BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID CRASH_AT
 */
import kafkajs from 'kafkajs'

const { Kafka, logLevel } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const [bootstrap, input, output, groupId, transactionalId, crashAtArg] = process.argv.slice(2)
const crashAt = Number(crashAtArg)

const kafka = new Kafka({ clientId: 'ctp-app', brokers: [bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 60_000, requestTimeout: 300_000 })
// The producer first: its InitProducerId aborts what an earlier instance left open, so the
// group's offsets the consumer then fetches are the committed ones.
const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
await producer.connect()
// A 3 s session (the test lowers group.min.session.timeout.ms): the instance started after a
// crash joins once the crashed one's session has run out.
const consumer = kafka.consumer({ groupId, sessionTimeout: 3000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 250, readUncommitted: false })
await consumer.connect()
await consumer.subscribe({ topics: [input], fromBeginning: true })

let processed = 0
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ topic, partition, message }) => {
    const value = message.value.toString()
    const txn = await producer.transaction()
    await txn.send({ topic: output, messages: [{ key: message.key, value: `out:${value}`, partition }] })
    await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: String(BigInt(message.offset) + 1n) }] }] })
    processed++
    if (processed === crashAt) {
      // stdout is a pipe: Node writes it synchronously on Linux, so the line is out before the kill.
      process.stdout.write(`crash ${value}\n`)
      process.kill(process.pid, 'SIGKILL')
    }
    await txn.commit()
    process.stdout.write(`committed ${value}\n`)
  },
})
process.stdout.write('running\n')

process.on('SIGTERM', () => {
  void (async () => {
    await consumer.disconnect()
    await producer.disconnect()
    process.exit(0)
  })()
})
