/**
 * A full disk, end to end: broker 2's directory lives on a small tmpfs (partly taken by a filler
 * file); producing fills it. Nothing acknowledged is lost, the broker's log dir goes offline and
 * says so (daemon log, daemon status, cluster status), clients get KAFKA_STORAGE_ERROR naming the
 * broker, and once the filler is deleted the broker comes back by itself and catches up.
 *
 * Needs root (mount -t tmpfs): skipped with the reason otherwise. The tmpfs is always unmounted.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HANG_MS, sluice, startDaemon, stopDaemon, tempHome, until, type TempHome, type TestDaemon } from '../helpers/index.js'
import { mountTmpfs, unmountTmpfs } from '../helpers/tmpfs.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { RawClient } from '../support/raw-client.js'
import { fetchRequest } from '../support/fetch-request.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const TMPFS_MB = 40
/** 5 MB left for broker 2: two `produce` runs of 3,000 lines (2.8 MB each) fill it. */
const FILLER_MB = 35

interface StatusBroker {
  id: number
  state: string
  logDirError: string | null
}

let home: TempHome
let brokerDir = ''
let skipReason: string | null = null
let d: TestDaemon | undefined

beforeAll(async () => {
  home = await tempHome()
  brokerDir = path.join(home.path, 'brokers', '2')
  fs.mkdirSync(brokerDir, { recursive: true })
  skipReason = mountTmpfs(brokerDir, TMPFS_MB)
  if (skipReason) return
  fs.writeFileSync(path.join(brokerDir, 'filler'), Buffer.alloc(FILLER_MB * 1024 * 1024, 7))
  d = await startDaemon({ brokers: 3, home: home.path })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
  if (!skipReason) unmountTmpfs(brokerDir)
  await home.cleanup()
})

async function brokersOf(what: 'daemon status' | 'cluster status'): Promise<StatusBroker[]> {
  const r = await sluice([...what.split(' '), '--json'], { home: home.path })
  // cluster status exits 8 while the cluster is not healthy (a log dir offline), with the status.
  expect(what === 'cluster status' ? [0, 8] : [0], r.stderr).toContain(r.exitCode)
  const json = JSON.parse(r.stdout) as { brokers?: StatusBroker[]; cluster?: { brokers: StatusBroker[] } }
  return json.brokers ?? json.cluster!.brokers
}

function lines(from: number, n: number): string {
  const pad = 'x'.repeat(900)
  let out = ''
  for (let i = from; i < from + n; i++) out += `{"id":${i},"pad":"${pad}"}\n`
  return out
}

describe('a full disk under one broker', () => {
  it('takes its log dir offline, says so, loses nothing acknowledged, and recovers by itself', async (ctx) => {
    if (skipReason) ctx.skip(skipReason)
    expect((await sluice(['topic', 'create', 'fill', '--partitions', '3', '--replication-factor', '3'], { home: home.path })).exitCode).toBe(0)
    // One partition per broker, unreplicated: the one on broker 2 has nowhere else to go.
    expect((await sluice(['topic', 'create', 'solo', '--partitions', '3', '--replication-factor', '1'], { home: home.path })).exitCode).toBe(0)

    // Produce until broker 2's disk is full. Every run that exits 0 had every line acknowledged.
    let acked = 0
    const chunk = 3000
    await until(
      'broker 2 to take its log dir offline',
      async () => {
        const r = await sluice(['produce', 'fill'], { home: home.path, input: lines(acked, chunk), timeoutMs: HANG_MS })
        expect(r.exitCode, r.stderr).toBe(0)
        acked += chunk
        const b2 = (await brokersOf('cluster status')).find((b) => b.id === 2)!
        return b2.state === 'offline' ? b2 : undefined
      },
      HANG_MS,
      0,
    )

    // Said: cluster status, daemon status and the daemon's log.
    for (const what of ['cluster status', 'daemon status'] as const) {
      const b2 = (await brokersOf(what)).find((b) => b.id === 2)!
      expect(b2.state).toBe('offline')
      expect(b2.logDirError).toMatch(/^disk full \(ENOSPC\) writing .*brokers\/2\//)
    }
    const text = await sluice(['cluster', 'status'], { home: home.path })
    expect(text.stdout).toMatch(/broker 2: log dir offline: disk full \(ENOSPC\)/)
    const log = fs.readFileSync(path.join(home.path, 'logs', 'daemon.log'), 'utf8')
    expect(log).toMatch(/broker 2: disk full \(ENOSPC\) writing \S+; its log dir is offline/)

    // On the wire, broker 2 answers KAFKA_STORAGE_ERROR for what it hosts (it does not drop the connection).
    const raw = await RawClient.connect(d!.port + 1)
    try {
      const produced = await raw.request(ApiKey.Produce, 8, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'fill', partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: Date.now(), records: [{ value: 'late' }] }) }] }],
      })
      const pr = produced.responses[0].partitionResponses[0]
      expect(pr.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
      expect(pr.errorMessage).toMatch(/^the disk of broker 2 is full: its log dir is offline \(disk full \(ENOSPC\)/)
      const fetched = await raw.request(ApiKey.Fetch, 12, fetchRequest('fill', 0, { maxBytes: 1_000_000, partitionMaxBytes: 100_000 }))
      expect(fetched.responses[0].partitions[0].errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
      const dirs = await raw.request(ApiKey.DescribeLogDirs, 1, { topics: null })
      expect(dirs.results[0].errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
    } finally {
      raw.close()
    }

    // A client of the partition whose only replica is on broker 2 is told why, naming the broker.
    // --acks 1: the default acks=all would retry the leaderless partition for the whole delivery
    // timeout (60 s) before failing the same way; the giving up is send-pipeline.test.ts's.
    const solo = JSON.parse((await sluice(['cluster', 'partitions', '--json'], { home: home.path })).stdout) as {
      partitions: { topic: string; partition: number; replicas: number[] }[]
    }
    const onTwo = solo.partitions.find((p) => p.topic === 'solo' && p.replicas[0] === 2)!
    const refused = await sluice(['produce', 'solo', '--partition', String(onTwo.partition), '--acks', '1'], {
      home: home.path,
      input: '{"solo":1}\n',
      timeoutMs: HANG_MS,
    })
    expect(refused.exitCode, refused.stderr).toBe(7)
    expect(refused.stderr).toMatch(/the disk of broker 2 is full \(disk full \(ENOSPC\) writing /)

    // Space is back: the broker reopens its store, rejoins, and catches up (ISR full again).
    fs.rmSync(path.join(brokerDir, 'filler'))
    await until('broker 2 to come back', async () => ((await brokersOf('cluster status')).find((b) => b.id === 2)!.state === 'up' ? true : undefined), HANG_MS, 500)
    expect(fs.readFileSync(path.join(home.path, 'logs', 'daemon.log'), 'utf8')).toMatch(/broker 2: log dir back online/)
    await until(
      'broker 2 back in the ISR of every fill partition',
      async () => {
        const r = await sluice(['cluster', 'partitions', '--json'], { home: home.path })
        const parts = (JSON.parse(r.stdout) as { partitions: { topic: string; isr: number[] }[] }).partitions.filter((p) => p.topic === 'fill')
        return parts.every((p) => p.isr.includes(2)) ? true : undefined
      },
      HANG_MS,
      500,
    )

    // Nothing acknowledged was lost, nothing doubled.
    const consumed = await sluice(['consume', 'fill', '--from', 'earliest', '--exit'], { home: home.path, timeoutMs: HANG_MS })
    expect(consumed.exitCode, consumed.stderr).toBe(0)
    const ids = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { value: { id: number } }).value.id)
    expect(ids.length).toBe(acked)
    expect(new Set(ids).size).toBe(acked)
  })

  it('a daemon started on a full disk starts that broker offline, and it comes back with room', async (ctx) => {
    if (skipReason) ctx.skip(skipReason)
    await stopDaemon({ ...d!, tempHome: undefined })
    d = undefined
    // Fill every byte left, so that LevelDB cannot even write out its recovered log.
    const filler = path.join(brokerDir, 'filler')
    const fd = fs.openSync(filler, 'w')
    const block = Buffer.alloc(64 * 1024, 7)
    for (;;) {
      try {
        fs.writeSync(fd, block)
      } catch {
        break
      }
    }
    fs.closeSync(fd)
    d = await startDaemon({ brokers: 3, home: home.path })
    const b2 = (await brokersOf('cluster status')).find((b) => b.id === 2)!
    expect(b2.state).toBe('offline')
    expect(b2.logDirError).toMatch(/^disk full \(ENOSPC\) opening /)
    fs.rmSync(filler)
    await until('broker 2 to come back', async () => ((await brokersOf('cluster status')).find((b) => b.id === 2)!.state === 'up' ? true : undefined), HANG_MS, 500)
  })
})
