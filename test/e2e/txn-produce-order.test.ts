/**
 * The client's transaction manager (src/client/produce/transactions.ts) against a real daemon
 * (3 brokers): the requests it sends and their order, as Kafka's Java producer sends them
 * (FindCoordinator, InitProducerId; AddPartitionsToTxn once per partition per transaction, before
 * its first batch; AddOffsetsToTxn, then TxnOffsetCommit to the group's coordinator; EndTxn after
 * the batches are acknowledged, and none for a transaction to which nothing was added), and
 * fencing: a second manager with the same id makes every later call of the first fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeTopic } from '../../src/client/produce/producer-setup.js'
import { RawSender } from '../../src/client/produce/raw-sender.js'
import type { Message } from '../../src/client/produce/send-pipeline.js'
import { TransactionManager } from '../../src/client/produce/transactions.js'
import { WireClient } from '../../src/client/wire/client.js'
import type { ClusterTarget } from '../../src/client/kafka.js'
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import { HANG_MS, sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { isStable, readTopic } from '../support/read-back.js'

let d: TestDaemon
let target: ClusterTarget
let client: WireClient

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  target = { bootstrapBrokers: [d.bootstrap], local: false }
  client = new WireClient(target, 'txn-order-test')
})
afterAll(async () => {
  client?.close()
  if (d) await stopDaemon(d)
})

const message = (partition: number, value: string): Message => ({ topic: 'order', partition, key: null, value: Buffer.from(value) })

/** A manager whose successful requests are listed in order (retried answers are left out of `requests`, kept in `all`). */
function manager(id: string): { txn: TransactionManager; requests: string[]; all: string[] } {
  const requests: string[] = []
  const all: string[] = []
  const txn = new TransactionManager(client, target, {
    transactionalId: id,
    transactionTimeoutMs: 60_000,
    trace: (api, code) => {
      all.push(code === ErrorCode.NONE ? api : `${api}: ${errorName(code)}`)
      if (code === ErrorCode.NONE) requests.push(api)
    },
  })
  return { txn, requests, all }
}

/** Every broker answers the next `count` requests of `api` with `error`. */
async function fault(api: string, error: string, count: number): Promise<void> {
  for (const b of d.brokers) {
    const r = await sluice(['fault', 'add', 'error', '--broker', String(b.id), '--api', api, '--error', error, '--count', String(count)], { env: d.env })
    expect(r.exitCode, r.stderr).toBe(0)
  }
}

describe.sequential('client/produce/transactions against a daemon', () => {
  it('sends what the Java producer sends, in its order', async () => {
    const topic = await describeTopic(client, target, 'order')
    const { txn, requests } = manager('order-1')
    await txn.init()
    expect(requests).toEqual(['FindCoordinator(transaction)', 'InitProducerId'])
    expect(txn.producerId).toBeGreaterThanOrEqual(0)

    const sender = new RawSender(client, { topic: 'order', numPartitions: topic.numPartitions, idempotent: true, timeoutMs: 30_000, transaction: txn })
    const send = (messages: Message[]) => sender.send({ messages, acks: -1, compression: 'none' })
    txn.begin()
    await send([message(0, '"a"'), message(1, '"b"')])
    // A partition already in the transaction is not added again.
    await send([message(0, '"c"')])
    await txn.sendOffsets('order-group', 'order', [{ partition: 0, offset: 7 }])
    await txn.commit()
    expect(requests.slice(2)).toEqual(['AddPartitionsToTxn', 'AddOffsetsToTxn', 'FindCoordinator(group)', 'TxnOffsetCommit', 'EndTxn(commit)'])

    // The next transaction adds its partitions again; an abort with nothing added sends no EndTxn.
    requests.length = 0
    txn.begin()
    await send([message(0, '"d"')])
    await txn.abort()
    expect(requests).toEqual(['AddPartitionsToTxn', 'EndTxn(abort)'])
    requests.length = 0
    txn.begin()
    await txn.abort()
    expect(requests).toEqual([])

    await until('no open transaction in order', async () => ((await isStable(d.port, 'order')) ? true : undefined), HANG_MS, 50)
    const committed = (await readTopic(d.port, 'order', 'read_committed')).map((r) => r.value).sort()
    expect(committed).toEqual(['"a"', '"b"', '"c"'])
  })

  it('a second producer with the same id fences the first: its commit and every later call fail, naming the id', async () => {
    const first = manager('order-fenced')
    await first.txn.init()
    first.txn.begin()
    await first.txn.addPartitions('order', [2])
    const second = manager('order-fenced')
    await second.txn.init()
    expect(second.txn.producerEpoch).toBeGreaterThan(first.txn.producerEpoch)
    await expect(first.txn.commit()).rejects.toThrow(/transactional id "order-fenced": EndTxn\(commit\) failed: the producer was fenced/)
    expect(first.txn.fatal).toBeDefined()
    await expect(first.txn.addPartitions('order', [0])).rejects.toThrow(/order-fenced/)
    // Fenced: an abort has nothing to do (the coordinator aborted the transaction when it fenced it).
    await first.txn.abort()
  })

  it('retries as Kafka does: NOT_COORDINATOR finds the coordinator again, COORDINATOR_LOAD_IN_PROGRESS and CONCURRENT_TRANSACTIONS try again', async () => {
    await fault('init-producer-id', 'NOT_COORDINATOR', 1)
    await fault('add-partitions-to-txn', 'CONCURRENT_TRANSACTIONS', 1)
    await fault('add-offsets-to-txn', 'COORDINATOR_LOAD_IN_PROGRESS', 1)
    await fault('end-txn', 'CONCURRENT_TRANSACTIONS', 1)
    try {
      const { txn, all } = manager('order-retried')
      await txn.init()
      txn.begin()
      await txn.addPartitions('order', [0])
      await txn.sendOffsets('order-retried-group', 'order', [{ partition: 0, offset: 1 }])
      await txn.commit()
      expect(all).toEqual([
        'FindCoordinator(transaction)',
        'InitProducerId: NOT_COORDINATOR',
        'FindCoordinator(transaction)',
        'InitProducerId',
        'AddPartitionsToTxn: CONCURRENT_TRANSACTIONS',
        'AddPartitionsToTxn',
        'AddOffsetsToTxn: COORDINATOR_LOAD_IN_PROGRESS',
        'AddOffsetsToTxn',
        'FindCoordinator(group)',
        'TxnOffsetCommit',
        'EndTxn(commit): CONCURRENT_TRANSACTIONS',
        'EndTxn(commit)',
      ])
    } finally {
      expect((await sluice(['fault', 'clear'], { env: d.env })).exitCode).toBe(0)
    }
  })
})
