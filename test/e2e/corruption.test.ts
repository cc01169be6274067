/**
 * Corruption is noticed, never served. A 3-broker daemon takes records with acks=all; it is
 * stopped and one broker's LevelDB files are damaged as testers did: 64 KiB overwritten inside the
 * largest `.ldb` of brokers/<id>/ (of the partition's leader; batches of 16 KiB and more are in its
 * batch store, brokers/<id>/batches/), or the newest `.log` (the write-ahead log) of either store
 * cut short. After a restart every acknowledged record reads back intact through kcat with CRC
 * checks on, the damaged replica is reported in `cluster status --json`, says what it found in the
 * daemon log, and recovers: back in the ISR, and, made leader, it serves the same records.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Producer, stringSerializers } from '@platformatic/kafka'
import { ClassicLevel } from 'classic-level'
import { afterEach, describe, expect, it } from 'vitest'
import type { RecoveryStatus } from '../../src/common/control-contract.js'
import { sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { kcat, kcatPath } from '../interop/kcat.js'

const TOPIC = 'orders'
const RECORDS = 20_000

/** A recovery as the status JSON shows it (dates are ISO strings). */
type RecoveryJson = RecoveryStatus
interface PartitionJson {
  topic: string
  partition: number
  leader: number
  isr: number[]
}

let daemon: TestDaemon | undefined
afterEach(async () => {
  if (daemon && process.env.SLUICE_TEST_SHOW_LOG) console.log(fs.readFileSync(path.join(daemon.home, 'logs', 'daemon.log'), 'utf8'))
  if (daemon) await stopDaemon(daemon)
  daemon = undefined
})

async function json<T>(args: string[]): Promise<T> {
  const r = await sluice([...args, '--json'], { home: daemon!.home, env: daemon!.env })
  // cluster status exits 8 while the cluster is not healthy (a replica recovering), with the status.
  expect(args[0] === 'cluster' && args[1] === 'status' ? [0, 8] : [0], r.stderr).toContain(r.exitCode)
  return JSON.parse(r.stdout) as T
}

async function partition0(): Promise<PartitionJson> {
  const { partitions } = await json<{ partitions: PartitionJson[] }>(['cluster', 'partitions'])
  return partitions.find((p) => p.topic === TOPIC && p.partition === 0)!
}

/** RECORDS numbered records, acks=all, in batches of 200; returns the values acknowledged. */
async function produceAll(): Promise<string[]> {
  const producer = new Producer({ clientId: 'corruption', bootstrapBrokers: [daemon!.bootstrap], serializers: stringSerializers })
  const acknowledged: string[] = []
  try {
    for (let i = 0; i < RECORDS; i += 200) {
      // Random text, so LevelDB's compression leaves megabytes on disk, as real records would.
      const values = Array.from({ length: 200 }, (_, j) => JSON.stringify({ n: i + j, pad: randomBytes(120).toString('base64') }))
      await producer.send({ messages: values.map((value) => ({ topic: TOPIC, partition: 0, key: 'k', value })), acks: -1 })
      acknowledged.push(...values)
    }
  } finally {
    await producer.close()
  }
  return acknowledged
}

/** Every record of partition 0 through kcat with CRC checks, from the current leader. */
async function readAllWithCrcChecks(): Promise<string[]> {
  const r = await kcat(['-b', daemon!.bootstrap, '-X', 'check.crcs=true', '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'])
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout.split('\n').filter((line) => line.length > 0)
}

async function stop(): Promise<void> {
  const r = await sluice(['daemon', 'stop'], { home: daemon!.home })
  expect(r.exitCode, r.stderr).toBe(0)
}

async function restart(): Promise<void> {
  const r = await sluice(['daemon', 'start', '--json'], { home: daemon!.home, env: daemon!.env })
  expect(r.exitCode, r.stderr).toBe(0)
  daemon!.pid = (JSON.parse(r.stdout) as { pid: number }).pid
}

async function recoveredReplica(broker: number): Promise<RecoveryJson> {
  return until(`broker ${broker} to recover ${TOPIC}-0`, async () => {
    const status = await json<{ recoveries: RecoveryJson[] }>(['cluster', 'status'])
    const p = await partition0()
    const r = status.recoveries.find((x) => x.broker === broker && x.topic === TOPIC && x.partition === 0)
    return r?.state === 'recovered' && p.isr.includes(broker) ? r : undefined
  })
}

/** After recovery the replica leads and serves exactly the acknowledged records. */
async function expectServesSame(broker: number, acknowledged: string[]): Promise<void> {
  // The preferred-leader election may have given it back its leadership already.
  if ((await partition0()).leader !== broker) {
    const moved = await sluice(['failover', `${TOPIC}:0`, '--to', String(broker), '--json'], { home: daemon!.home, env: daemon!.env })
    expect(moved.exitCode, moved.stderr).toBe(0)
  }
  expect((await partition0()).leader).toBe(broker)
  expect(await readAllWithCrcChecks()).toEqual(acknowledged)
}

describe.skipIf(!kcatPath)('e2e/corruption', () => {
  it('64 KiB overwritten inside the leader\'s .ldb: never served, the replica leaves the ISR and recovers', async () => {
    daemon = await startDaemon({ brokers: 3 })
    const created = await sluice(['topic', 'create', TOPIC, '--partitions', '1', '--replication-factor', '3'], { home: daemon.home, env: daemon.env })
    expect(created.exitCode, created.stderr).toBe(0)
    const acknowledged = await produceAll()
    const damaged = (await partition0()).leader
    await stop()

    // LevelDB keeps recent writes in its write-ahead log; opening the directory turns them into a
    // table (.ldb), which is where the testers found the data.
    const brokerDir = path.join(daemon.home, 'brokers', String(damaged))
    const dirs = [brokerDir, path.join(brokerDir, 'batches')]
    for (const dir of dirs) {
      const db = new ClassicLevel(dir)
      await db.open()
      await db.close()
    }
    const ldb = dirs
      .flatMap((dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.ldb')).map((f) => path.join(dir, f)))
      .map((file) => ({ file, size: fs.statSync(file).size }))
      .sort((a, b) => b.size - a.size)[0]!
    expect(ldb.size).toBeGreaterThan(1024 * 1024)
    const fd = fs.openSync(ldb.file, 'r+')
    fs.writeSync(fd, randomBytes(64 * 1024), 0, 64 * 1024, Math.floor(ldb.size / 2))
    fs.closeSync(fd)

    await restart()
    // Every acknowledged record, intact, in order, through a real client that checks CRCs.
    expect(await readAllWithCrcChecks()).toEqual(acknowledged)
    const recovery = await recoveredReplica(damaged)
    expect(recovery.firstOffset).toBeLessThanOrEqual(recovery.lastOffset)
    expect(recovery.truncatedTo).toBeLessThanOrEqual(recovery.firstOffset)
    const logText = fs.readFileSync(path.join(daemon.home, 'logs', 'daemon.log'), 'utf8')
    expect(logText).toMatch(/corrupt replica/)
    expect(logText).toMatch(/back in the ISR/)
    // daemon status shows it as well, in --json and in text.
    const daemonStatus = await json<{ cluster: { recoveries: RecoveryJson[] } }>(['daemon', 'status'])
    expect(daemonStatus.cluster.recoveries).toContainEqual(expect.objectContaining({ broker: damaged, topic: TOPIC, state: 'recovered' }))
    const text = await sluice(['cluster', 'status'], { home: daemon.home, env: daemon.env })
    expect(text.stdout).toMatch(/REPLICAS RECOVERED FROM CORRUPTION/)
    await expectServesSame(damaged, acknowledged)
  })

  // The main store's log holds the index: the log opens shorter than at its clean close. The batch
  // store's holds batches the index still names: the first one missing is the corrupt batch.
  it.each([
    ['the main store', '', /gone from the store/],
    ['the batch store', 'batches', /missing from the store/],
  ])('a cut write-ahead log of %s is said in the log, and the replica recovers the lost tail', async (_store, subdir, reason) => {
    daemon = await startDaemon({ brokers: 3 })
    const created = await sluice(['topic', 'create', TOPIC, '--partitions', '1', '--replication-factor', '3'], { home: daemon.home, env: daemon.env })
    expect(created.exitCode, created.stderr).toBe(0)
    const acknowledged = await produceAll()
    const p = await partition0()
    const damaged = p.leader
    await stop()

    const dir = path.join(daemon.home, 'brokers', String(damaged), subdir)
    const newestLog = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .at(-1)!
    const file = path.join(dir, newestLog)
    fs.truncateSync(file, Math.floor(fs.statSync(file).size * 0.6))

    await restart()
    expect(await readAllWithCrcChecks()).toEqual(acknowledged)
    const recovery = await recoveredReplica(damaged)
    expect(recovery.reason).toMatch(reason)
    if (subdir === '') expect(recovery.lastOffset).toBe(RECORDS - 1)
    await expectServesSame(damaged, acknowledged)
  })
})
