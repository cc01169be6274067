/**
 * `sluice produce --transactional-id` through the built binary against a real daemon (3 brokers):
 * one transaction per input, one per --transaction-records N, the open transaction aborted by a
 * bad line and by Ctrl-C (its records are in the log, and read_committed readers never see them),
 * fencing by a second producer with the same id, a transaction aborted by the cluster for its
 * timeout, a timeout above transaction.max.timeout.ms, and the usage errors. The topic is read back
 * through sluice's own codec, read_committed (up to the last stable offset, aborted transactions
 * dropped) and read_uncommitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HANG_MS, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { isStable, readTopic, type ReadRecord } from '../support/read-back.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
})
afterAll(async () => {
  if (d) await stopDaemon(d)
})

interface Summary {
  records: number
  interrupted: boolean
  lastLine: number
  transactions?: { transactionalId: string; committed: number; committedRecords: number; aborted: boolean; abortedRecords: number }
}

const lines = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: from + i }))
const ids = (rs: ReadRecord[]): number[] => rs.map((r) => (JSON.parse(r.value!) as { id: number }).id).sort((a, b) => a - b)
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i)

function produce(args: string[], input: string) {
  return sluice(['produce', ...args], { env: d.env, input })
}

function errorOf(stdout: string): { code: string; message: string } {
  return (JSON.parse(stdout) as { error: { code: string; message: string } }).error
}

/** The topic's records, read_uncommitted, once there are at least `count`. */
function uncommittedWhen(topic: string, count: number): Promise<ReadRecord[]> {
  return until(`${count} records in ${topic}`, async () => {
    const got = await readTopic(d.port, topic).catch((): ReadRecord[] => [])
    return got.length >= count ? got : undefined
  }, HANG_MS, 25)
}

/**
 * The records read_committed once no transaction is open in the topic (its last stable offset is
 * its high watermark): an abort's or a commit's markers are written after EndTxn is answered.
 */
async function committedWhenStable(topic: string): Promise<ReadRecord[]> {
  await until(`no open transaction in ${topic}`, async () => ((await isStable(d.port, topic).catch(() => false)) ? true : undefined), HANG_MS, 50)
  return readTopic(d.port, topic, 'read_committed')
}

describe.concurrent('produce --transactional-id', () => {
  it('writes the whole input as one transaction, visible to read_committed once committed', async () => {
    const r = await produce(['txn-one', '--transactional-id', 'one', '--json'], lines(100).join('\n'))
    expect(r.exitCode, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout) as Summary
    expect(s).toMatchObject({ records: 100, transactions: { transactionalId: 'one', committed: 1, committedRecords: 100, aborted: false, abortedRecords: 0 } })
    expect(ids(await committedWhenStable('txn-one'))).toEqual(range(0, 100))
    // The person's summary says it too.
    const h = await produce(['txn-one', '--transactional-id', 'one'], lines(3, 100).join('\n'))
    expect(h.exitCode, h.stderr).toBe(0)
    expect(h.stderr).toMatch(/1 transaction committed \(3 records, transactional id one\)/)
  })

  it('--transaction-records N commits every N records, each its own transaction', async () => {
    const r = await produce(['txn-every', '--transactional-id', 'every', '--transaction-records', '10', '--json'], lines(35).join('\n'))
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ records: 35, transactions: { committed: 4, committedRecords: 35, aborted: false } })
    expect(ids(await committedWhenStable('txn-every'))).toEqual(range(0, 35))
  })

  it('a bad line aborts the open transaction: the transactions before it stay, nothing of the open one is visible', async () => {
    const input = [...lines(24), 'not json', ...lines(5, 100)].join('\n')
    const r = await produce(['txn-bad', '--transactional-id', 'bad', '--transaction-records', '10', '--json'], input)
    expect(r.exitCode).toBe(6)
    const e = errorOf(r.stdout)
    expect(e.code).toBe('BAD_INPUT')
    expect(e.message).toMatch(/^line 25: not valid JSON/)
    expect(e.message).toMatch(/20 records committed in 2 transactions \(transactional id bad\)/)
    expect(ids(await committedWhenStable('txn-bad'))).toEqual(range(0, 20))
  })

  it('a bad line after records were sent aborts them: in the log, never visible to read_committed', async () => {
    const child = spawnSluice(['produce', 'txn-sent', '--transactional-id', 'sent', '--json'], { env: d.env })
    child.stdin!.write(lines(50).join('\n') + '\n')
    // The input paused: the records read so far went out, into the open transaction.
    await uncommittedWhen('txn-sent', 50)
    child.stdin!.end('{"broken":\n')
    const r = await child
    expect(r.exitCode).toBe(6)
    expect(errorOf(String(r.stdout)).message).toMatch(/the open transaction was aborted \(50 records sent in it, never visible to read_committed consumers\)/)
    expect(await committedWhenStable('txn-sent')).toEqual([])
    expect(await readTopic(d.port, 'txn-sent')).toHaveLength(50)
  })

  it('Ctrl-C aborts the open transaction before exiting 130', async () => {
    const child = spawnSluice(['produce', 'txn-int', '--transactional-id', 'int', '--json'], { env: d.env })
    child.stdin!.write(lines(100).join('\n') + '\n')
    await uncommittedWhen('txn-int', 100)
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).toBe(130)
    expect(JSON.parse(String(r.stdout))).toMatchObject({ interrupted: true, transactions: { committed: 0, aborted: true, abortedRecords: 100 } })
    expect(String(r.stderr)).toMatch(/interrupted after line 100: the open transaction was aborted \(100 records/)
    expect(await committedWhenStable('txn-int')).toEqual([])
  })

  it('a second producer with the same transactional id fences the first, which fails naming the id', async () => {
    // One partition: its next batch goes to a partition already in the transaction, so the send is what fails.
    const first = spawnSluice(['produce', 'txn-fence', '--transactional-id', 'fence', '--partition', '0', '--json'], { env: d.env })
    first.stdin!.write(lines(10).join('\n') + '\n')
    await uncommittedWhen('txn-fence', 10)
    // Its InitProducerId aborts the first producer's open transaction and bumps the epoch.
    const second = await produce(['txn-fence', '--transactional-id', 'fence', '--json'], lines(5, 100).join('\n'))
    expect(second.exitCode, second.stderr).toBe(0)
    first.stdin!.end(lines(1, 200).join('\n') + '\n')
    const r = await first
    expect(r.exitCode).toBe(7)
    expect(errorOf(String(r.stdout)).message).toMatch(/^transactional id "fence": a send failed: the producer was fenced \((PRODUCER_FENCED|INVALID_PRODUCER_EPOCH)\)/)
    expect(ids(await committedWhenStable('txn-fence'))).toEqual(range(100, 5))
  })

  it('a transaction open longer than --transaction-timeout-ms is aborted by the cluster: the commit fails, naming the id', async () => {
    const child = spawnSluice(['produce', 'txn-slow', '--transactional-id', 'slow', '--transaction-timeout-ms', '1000', '--json'], { env: d.env })
    child.stdin!.write(lines(10).join('\n') + '\n')
    await uncommittedWhen('txn-slow', 10)
    // The coordinator aborts it once it is older than its timeout: its ABORT markers make the topic stable.
    expect(await committedWhenStable('txn-slow')).toEqual([])
    child.stdin!.end(lines(1, 10).join('\n') + '\n')
    const r = await child
    expect(r.exitCode).toBe(7)
    expect(errorOf(String(r.stdout)).message).toMatch(/^transactional id "slow": .*the producer was fenced .*outlived transaction\.timeout\.ms/)
    expect(await committedWhenStable('txn-slow')).toEqual([])
  })

  it('a timeout above the cluster\'s transaction.max.timeout.ms is refused at the start, naming the id', async () => {
    const r = await produce(['txn-max', '--transactional-id', 'too-long', '--transaction-timeout-ms', '999999999', '--json'], lines(1).join('\n'))
    expect(r.exitCode).toBe(7)
    expect(errorOf(r.stdout).message).toMatch(/^transactional id "too-long": InitProducerId failed: .*transaction\.max\.timeout\.ms \(INVALID_TRANSACTION_TIMEOUT\)/)
  })

  it('refuses --acks other than all, --transaction-records without an id, and an empty id (exit 2)', async () => {
    const acks = await produce(['txn-usage', '--transactional-id', 'u', '--acks', '1'], '{}')
    expect(acks.exitCode).toBe(2)
    expect(acks.stderr).toMatch(/--transactional-id writes with acks=all: it cannot go with --acks 1/)
    const records = await produce(['txn-usage', '--transaction-records', '5'], '{}')
    expect(records.exitCode).toBe(2)
    expect(records.stderr).toMatch(/transactional-id/)
    const empty = await produce(['txn-usage', '--transactional-id', ''], '{}')
    expect(empty.exitCode).toBe(2)
  })
})
