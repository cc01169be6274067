/**
 * The failover drill of issue 4 with real clients: a topic with 6 partitions, replication 3,
 * min.insync.replicas 2; kcat (idempotent, acks=all) and `sluice produce` each send RECORDS
 * numbered records while the test crashes the leader of partition 0 (`sluice broker kill`),
 * waits for the new leader, restarts it, waits for the full ISR, and repeats KILLS times. Then
 * every acknowledged record is read back exactly once, at one offset, in order per partition
 * and producer.
 *
 * Reported on the console, not asserted (no timing assertions on shared machines): the elections
 * (from `sluice cluster events`) and how long each producer could not write during each. The
 * topic keeps LogAppendTime, so a record's wait is its append time less the time this test
 * wrote its line to the producer's stdin; the longest wait among the lines written between a kill
 * and the next one is that producer's unavailability for that election.
 *
 * The producers are paced (about RATE_PER_S lines a second each) so that the kills land in the
 * middle of the stream; if the kills take longer than planned, the producers hold their last
 * lines until the kills are done.
 */
import { execa } from 'execa'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Method, Params, Result, PartitionState as Partition } from '../../src/common/control-contract.js'
import { kcatPath } from '../interop/kcat.js'
import { readTopic, type ReadRecord } from '../support/read-back.js'
import { applyBrokerConfigs, control as controlSocket, FAST_FAILOVER_CONFIGS, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

const RECORDS = 50_000
const KILLS = 5
const TOPIC = 'drill'
const RATE_PER_S = 2_500
const TICK_MS = 20
/** Lines held back until the kills are done, so that no kill falls after the stream ends. */
const TAIL_RECORDS = 2_500
/** Of the tail, what a slow machine may trickle out (a record a tick) while the kills go on. */
const TRICKLE_RECORDS = 2_000


interface ClusterEvent {
  offset: number | null
  timestamp: string
  type: string
  message: string
  [k: string]: unknown
}

let d: TestDaemon
let admin: Admin

/** The control socket, straight: for waiting on the cluster, not for what is under test. */
const control = <M extends Method>(method: M, params: Params<M>): Promise<Result<M>> => controlSocket(d, method, params)
const partitions = async (): Promise<Partition[]> => (await control('cluster.partitions', {})).partitions.filter((p) => p.topic === TOPIC)
const startedAtMs = Date.now()
/** Progress on stderr, so a stuck drill shows where it stopped. */
const step = (what: string): void => console.error(`drill +${((Date.now() - startedAtMs) / 1000).toFixed(1)}s: ${what}`)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = HANG_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}; partitions: ${JSON.stringify(await partitions())}`)
    await sleep(50)
  }
}

async function run(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await sluice(args, { home: d.home, env: d.env })
  expect(r.exitCode, `sluice ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return r
}

/** Sets broker configs on every broker; AlterConfigs replaces the dynamic set, so all go at once. */
async function setBrokerConfigs(configs: Record<string, string>): Promise<void> {
  for (const name of ['1', '2', '3']) {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name, configEntries: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }] })
  }
}

/** Writes `line(n)` for n in 0..RECORDS-1 to a producer's stdin at a steady pace; records when each was written. */
class PacedWriter {
  readonly writtenAtMs = new Float64Array(RECORDS)
  private n = 0
  /** The producer stopped reading (it exited): its result says why. */
  private closed = false
  get written(): number {
    return this.n
  }
  constructor(
    private readonly stdin: NodeJS.WritableStream,
    private readonly line: (n: number) => string,
  ) {
    stdin.on('error', () => (this.closed = true))
    stdin.on('close', () => (this.closed = true))
  }

  async run(killsDone: () => boolean): Promise<void> {
    const perTick = Math.max(1, Math.round((RATE_PER_S * TICK_MS) / 1000))
    while (this.n < RECORDS && !this.closed) {
      // While the kills go on, the producers must keep writing (each failover is measured from
      // the writes around it), however slowly the kills go on a busy machine: the pace slows as
      // the lines before the tail run out, then a record a tick comes out of the tail.
      let count = perTick
      if (!killsDone()) {
        const beforeTail = RECORDS - TAIL_RECORDS - this.n
        if (beforeTail > 0) count = Math.min(perTick, Math.max(1, Math.floor(beforeTail / 100)))
        else if (this.n < RECORDS - TAIL_RECORDS + TRICKLE_RECORDS) count = 1
        else {
          await sleep(TICK_MS)
          continue
        }
      }
      const end = Math.min(RECORDS, this.n + count)
      let chunk = ''
      const now = Date.now()
      for (; this.n < end; this.n++) {
        chunk += this.line(this.n) + '\n'
        this.writtenAtMs[this.n] = now
      }
      if (!this.stdin.write(chunk)) await Promise.race([new Promise((resolve) => this.stdin.once('drain', resolve)), sleep(1_000)])
      await sleep(TICK_MS)
    }
    this.stdin.end()
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/**
 * Checks one producer's records: every number exactly once, one offset each, increasing within
 * each partition. Returns each record's append time by number.
 */
function checkProducer(name: string, records: ReadRecord[], parse: (value: string) => number | undefined): Float64Array {
  const appendedAtMs = new Float64Array(RECORDS).fill(-1)
  const seen = new Uint32Array(RECORDS)
  const lastInPartition = new Map<number, number>()
  const outOfOrder: string[] = []
  for (const r of records) {
    const n = r.value === null ? undefined : parse(r.value)
    if (n === undefined) continue
    seen[n]!++
    appendedAtMs[n] = r.timestamp
    const last = lastInPartition.get(r.partition) ?? -1
    if (n <= last) outOfOrder.push(`${name} ${n} after ${last} in partition ${r.partition} (offset ${r.offset})`)
    lastInPartition.set(r.partition, n)
  }
  const lost: number[] = []
  const duplicated: number[] = []
  for (let n = 0; n < RECORDS; n++) {
    if (seen[n] === 0) lost.push(n)
    else if (seen[n]! > 1) duplicated.push(n)
  }
  expect(lost.slice(0, 20), `${name}: ${lost.length} acknowledged records lost`).toEqual([])
  expect(duplicated.slice(0, 20), `${name}: ${duplicated.length} records stored twice`).toEqual([])
  expect(outOfOrder.slice(0, 20), `${name}: records out of order`).toEqual([])
  return appendedAtMs
}

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  admin = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } }).admin()
  await admin.connect()
  await applyBrokerConfigs(setBrokerConfigs, FAST_FAILOVER_CONFIGS, () =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: TOPIC,
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [
            { name: 'min.insync.replicas', value: '2' },
            { name: 'message.timestamp.type', value: 'LogAppendTime' },
          ],
        },
      ],
    }),
  )
})

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined)
  if (d) await stopDaemon(d)
})

describe.skipIf(!kcatPath)('failover drill', () => {
  it(`kcat and sluice produce each send ${RECORDS} records through ${KILLS} crashes of partition 0's leader: nothing lost, nothing twice, in order`, async () => {
    const history = (await control('cluster.events', {})).events
    const firstEvent = history.reduce((m, e) => Math.max(m, e.offset ?? -1), -1) + 1

    const kcat = execa(kcatPath!, ['-P', '-b', d.bootstrap, '-t', TOPIC, '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'linger.ms=5'], {
      reject: false,
      timeout: HANG_MS,
    })
    const produce = spawnSluice(['produce', TOPIC, '--json', '--no-progress'], { home: d.home, env: d.env, timeoutMs: HANG_MS })
    const kcatWriter = new PacedWriter(kcat.stdin!, (n) => `k${n}`)
    const sluiceWriter = new PacedWriter(produce.stdin!, (n) => `"s${n}"`)
    let killsDone = false
    const writing = Promise.all([kcatWriter.run(() => killsDone), sluiceWriter.run(() => killsDone)])

    const kills: { victim: number; killAtMs: number; electedAtMs: number; newLeader: number }[] = []
    try {
      await sleep(1_000)
      for (let k = 0; k < KILLS; k++) {
        const p0 = (await partitions()).find((p) => p.partition === 0)!
        const victim = p0.leader
        const killAtMs = Date.now()
        step(`kill ${k + 1}: broker ${victim} (kcat at ${kcatWriter.written}, sluice at ${sluiceWriter.written})`)
        await run(['broker', 'kill', String(victim), '--json'])
        let newLeader = -1
        await waitFor(`a new leader for ${TOPIC}-0 after killing broker ${victim}`, async () => {
          newLeader = (await partitions()).find((p) => p.partition === 0)!.leader
          return newLeader !== victim && newLeader > 0
        })
        const electedAtMs = Date.now()
        step(`new leader ${newLeader}`)
        kills.push({ victim, killAtMs, electedAtMs, newLeader })
        await run(['broker', 'start', String(victim), '--json'])
        await waitFor(`broker ${victim} back in every ISR of ${TOPIC}`, async () => (await partitions()).every((p) => p.isr.length === 3))
        step(`broker ${victim} back in every ISR`)
      }
    } finally {
      killsDone = true
    }
    await writing
    step('all lines written; waiting for the producers')
    const [kcatResult, produceResult] = await Promise.all([kcat, produce])
    expect(kcatResult.exitCode, String(kcatResult.stderr)).toBe(0)
    expect(produceResult.exitCode, String(produceResult.stderr) + String(produceResult.stdout)).toBe(0)
    const summary = JSON.parse(String(produceResult.stdout)) as { records: number }
    expect(summary.records).toBe(RECORDS)

    // Read back from the leaders once everything is replicated.
    const records = await readTopic(d.port, TOPIC)
    for (let p = 0; p < 6; p++) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset)
      expect(offsets, `partition ${p}: one record per offset, no gaps`).toEqual(offsets.map((_, i) => i))
    }
    expect(records.length).toBe(2 * RECORDS)
    const kcatAppended = checkProducer('kcat', records, (v) => (v.startsWith('k') ? Number(v.slice(1)) : undefined))
    const sluiceAppended = checkProducer('sluice produce', records, (v) => (v.startsWith('"s') ? Number(v.slice(2, -1)) : undefined))

    // The report: elections, and per election each producer's longest wait.
    const log = (await run(['cluster', 'events', '--since', String(firstEvent)])).stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ClusterEvent)
    const elections = log.filter((e) => e.type === 'leader.changed' && e.topic === TOPIC)
    const fenced = log.filter((e) => e.type === 'broker.fenced')
    const lines: string[] = [`drill: ${RECORDS} records each from kcat and sluice produce, ${KILLS} crashes of ${TOPIC}-0's leader`]
    lines.push(`elections of ${TOPIC} partitions (${elections.length}; broker fencings ${fenced.length}):`)
    for (const e of elections) lines.push(`  ${e.timestamp}  ${e.message}`)
    const waits: Record<string, number[]> = { kcat: [], 'sluice produce': [] }
    const allRecordWaits: Record<string, number[]> = { kcat: [], 'sluice produce': [] }
    lines.push('per crash: kill -> new leader of partition 0 seen (test clock), longest wait of a record written in the window (kcat / sluice produce)')
    kills.forEach((k, i) => {
      const endMs = kills[i + 1]?.killAtMs ?? Infinity
      const row: string[] = []
      for (const [name, writer, appended] of [
        ['kcat', kcatWriter, kcatAppended],
        ['sluice produce', sluiceWriter, sluiceAppended],
      ] as const) {
        let worst = 0
        for (let n = 0; n < RECORDS; n++) {
          const at = writer.writtenAtMs[n]!
          if (at < k.killAtMs || at >= endMs) continue
          const wait = appended[n]! - at
          allRecordWaits[name]!.push(wait)
          if (wait > worst) worst = wait
        }
        waits[name]!.push(worst)
        row.push(`${worst} ms`)
      }
      lines.push(`  #${i + 1} broker ${k.victim} killed, ${TOPIC}-0 led by ${k.newLeader} after ${k.electedAtMs - k.killAtMs} ms; longest wait ${row.join(' / ')}`)
    })
    // The partition's own view: the longest pause between two appends to partition 0 (from either
    // producer) after each kill. librdkafka's partitioner sends unkeyed records only to partitions
    // whose leader is up, so kcat's records hardly wait; partition 0 itself still pauses.
    const p0Appends = records.filter((r) => r.partition === 0).map((r) => r.timestamp)
    const gaps = kills.map((k, i) => {
      const endMs = kills[i + 1]?.killAtMs ?? Infinity
      let worst = 0
      for (let j = 1; j < p0Appends.length; j++) {
        if (p0Appends[j]! < k.killAtMs || p0Appends[j - 1]! >= endMs) continue
        worst = Math.max(worst, p0Appends[j]! - Math.max(p0Appends[j - 1]!, k.killAtMs))
      }
      return worst
    })
    const sortedGaps = [...gaps].sort((a, b) => a - b)
    lines.push(`${TOPIC}-0 took no write for ${gaps.map((g) => `${g} ms`).join(', ')} after each kill: p50 ${percentile(sortedGaps, 50)} ms, p99 ${percentile(sortedGaps, 99)} ms`)
    for (const name of Object.keys(waits)) {
      const per = [...waits[name]!].sort((a, b) => a - b)
      const all = [...allRecordWaits[name]!].sort((a, b) => a - b)
      lines.push(
        `${name}: could not write for p50 ${percentile(per, 50)} ms, p99 ${percentile(per, 99)} ms per election; ` +
          `record waits in the windows p50 ${percentile(all, 50)} ms, p99 ${percentile(all, 99)} ms`,
      )
    }
    // The daemon's own measure of each failover of partition 0 (FailoverTracker): from the kill
    // to the election, and from the last acknowledged write before to the first one after.
    const killed = log.filter((e) => e.type === 'broker.killed')
    const measured = log.filter((e) => e.type === 'failover.measured' && e.topic === TOPIC && e.partition === 0)
    lines.push(`the daemon's measures of ${TOPIC}-0 (failover.measured):`)
    for (const m of measured) lines.push(`  ${m.message}`)
    console.log(lines.join('\n'))
    expect(killed.map((e) => e.broker)).toEqual(kills.map((k) => k.victim))
    expect(measured.map((m) => [m.from, m.to])).toEqual(kills.map((k) => [k.victim, k.newLeader]))
    for (const m of measured) {
      // Producers were writing throughout: the gap in writes holds the leaderless time.
      expect(m.unwritableMs, m.message).not.toBeNull()
      expect(m.unwritableMs as number).toBeGreaterThanOrEqual(m.noLeaderMs as number)
    }
    expect(kills).toHaveLength(KILLS)
    expect(elections.filter((e) => e.partition === 0).length).toBeGreaterThanOrEqual(KILLS)
  })
})
