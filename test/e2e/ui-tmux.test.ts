/**
 * `sluice ui` in a real terminal (tmux, 160x45) against a 3-broker daemon with a producer
 * writing: select the broker that leads partition 0 of the topic, kill it with `k` then `y`, and
 * wait until the screen shows that broker KILLED and the partition with a new leader. The
 * session timeout is lowered (through Kafka's AlterConfigs, as docs/cluster.md shows) so the
 * election comes in about a second.
 *
 * tmux runs on a server of its own (-L), so other tests' sessions and the user's are untouched.
 */
import { execa } from 'execa'
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, HANG_MS, KAFKAJS_UNDER_LOAD, REPO_ROOT, sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

const TOPIC = 'ui-drill'
/** Nobody writes to it: its partitions' failovers are measured as "no producer was writing". */
const IDLE_TOPIC = 'ui-idle'
/** Where the transactions of the transactions pane write (not the idle topic: its partitions must stay unwritten). */
const TXN_TOPIC = 'ui-txn'
const SERVER = `sluice-ui-test-${process.pid}`
const SESSION = 'ui'

const hasTmux = (await execa('tmux', ['-V'], { reject: false })).exitCode === 0

const tmux = (...args: string[]) => execa('tmux', ['-L', SERVER, ...args], { reject: false })
const capture = async (session = SESSION): Promise<string> => String((await tmux('capture-pane', '-p', '-t', session)).stdout ?? '')
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k)

/** Polls the captured screen until `check` passes; fails with the last screen after `timeoutMs`. */
async function screenUntil(check: (screen: string) => boolean, what: string, timeoutMs = HANG_MS, session = SESSION): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const screen = await capture(session)
    if (check(screen)) return screen
    if (Date.now() > deadline) throw new Error(`the screen never showed ${what}:\n${screen}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The row of a broker or partition on screen: the first line whose cells start with `name`. */
const row = (screen: string, name: RegExp): string => screen.split('\n').find((l) => name.test(l)) ?? ''

let d: TestDaemon | undefined
let admin: Admin | undefined
let producer: Producer | undefined
const txnProducers: Producer[] = []
let producing = true
let writing: Promise<void> | undefined

async function setBrokerConfigs(configs: Record<string, string>): Promise<void> {
  for (const name of ['1', '2', '3']) {
    await admin!.alterConfigs({ validateOnly: false, resources: [{ type: 4, name, configEntries: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }] })
  }
}

beforeAll(async () => {
  if (!hasTmux) return
  d = await startDaemon({ brokers: 3 })
  const kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: d.brokers.map((b) => `${b.host}:${b.port}`), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } })
  admin = kafka.admin()
  await admin.connect()
  // Heartbeats first: a session timeout shorter than the heartbeat interval in force would fence
  // the brokers; a broker takes a new interval at its next heartbeat (up to 2 s away).
  await setBrokerConfigs({ 'broker.heartbeat.interval.ms': '200', 'auto.leader.rebalance.enable': 'false' })
  const heartbeatsApplyAt = Date.now() + 2_500
  const created = await sluice(['topic', 'create', TOPIC, '--partitions', '3', '--replication-factor', '3'], { home: d.home })
  expect(created.exitCode, created.stderr).toBe(0)
  const idle = await sluice(['topic', 'create', IDLE_TOPIC, '--partitions', '6', '--replication-factor', '3'], { home: d.home })
  expect(idle.exitCode, idle.stderr).toBe(0)
  const txn = await sluice(['topic', 'create', TXN_TOPIC, '--partitions', '2', '--replication-factor', '3'], { home: d.home })
  expect(txn.exitCode, txn.stderr).toBe(0)
  producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  // A steady trickle of records, so the partitions show rates; errors during the failover are
  // expected (the producer retries, or the next send goes to the new leader).
  writing = (async () => {
    for (let n = 0; producing; n++) {
      await producer!.send({ topic: TOPIC, acks: -1, messages: [{ value: `record ${n}` }] }).catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, heartbeatsApplyAt - Date.now())))
  await setBrokerConfigs({ 'broker.session.timeout.ms': '1500' })
  // Transactions for the transactions pane and the event log: one committed, one left open.
  for (const transactionalId of ['ui-done', 'ui-open']) {
    const p = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true })
    await p.connect()
    txnProducers.push(p)
    const t = await p.transaction()
    await t.send({ topic: TXN_TOPIC, messages: [{ value: 'in a transaction', partition: 0 }, { value: 'in a transaction', partition: 1 }] })
    if (transactionalId === 'ui-done') await t.commit()
  }
})

afterAll(async () => {
  producing = false
  await tmux('kill-server')
  await writing?.catch(() => undefined)
  await producer?.disconnect().catch(() => undefined)
  await Promise.allSettled(txnProducers.map((p) => p.disconnect()))
  await admin?.disconnect().catch(() => undefined)
  if (d) await stopDaemon(d)
})

describe.skipIf(!hasTmux)('sluice ui in tmux', () => {
  it('kills the leader of partition 0 from the keyboard and shows the broker killed and the new leader', async () => {
    const partitionsOf = async (topic: string): Promise<Array<{ partition: number; leader: number }>> => {
      const r = await sluice(['cluster', 'partitions', '--topic', topic, '--json'], { home: d!.home })
      return (JSON.parse(r.stdout) as { partitions: Array<{ partition: number; leader: number }> }).partitions
    }
    const leader = (await partitionsOf(TOPIC)).find((p) => p.partition === 0)!.leader
    // Before the kill: afterwards the partitions it led have other leaders.
    const idleLed = (await partitionsOf(IDLE_TOPIC)).filter((p) => p.leader === leader)
    const txnLed = (await partitionsOf(TXN_TOPIC)).filter((p) => p.leader === leader)
    const brokers = [...d!.brokers].sort((a, b) => a.id - b.id)
    const brokerRow = (id: number) => new RegExp(`^[> ]\\s+${id}\\*?\\s+(up|KILLED|FENCED|PAUSED)\\s`)
    const p0 = new RegExp(`^[> ]\\s+${TOPIC}-0\\s`)

    const command = `SLUICE_HOME='${d!.home}' exec '${process.execPath}' '${BIN}' ui`
    const started = await tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '60', '-c', REPO_ROOT, command)
    expect(started.exitCode, String(started.stderr)).toBe(0)
    await screenUntil((s) => brokers.every((b) => brokerRow(b.id).test(row(s, brokerRow(b.id)))) && row(s, p0) !== '', 'the brokers and the partitions')
    // The producer's records show as a high watermark that moves (records/s from HWM deltas).
    await screenUntil((s) => /^[> ]\s+\S+\s+\d+\s+\d+\s+[\d,]+\s+[\d,]+\s+[1-9]\d*\s+[1-9]\d*\s+\d[\d.]*k?\s/.test(row(s, p0)), `${TOPIC}-0 with a HWM, LEO and records/s`)
    // The open transaction in its pane (before the kill: its coordinator may be the broker killed).
    const txns = await screenUntil((s) => /^\s+ui-open\s+Ongoing\s+open\s+.*2 partitions/.test(row(s, /^\s+ui-open\s/)), 'the open transaction in its pane')
    expect(row(txns, /Transactions/)).toMatch(/1 open/)
    expect(txns).toMatch(/transaction ui-done committed/)
    // The quorum pane: a daemon whose metadata log is one store has its controller as the one voter.
    const quorum = await screenUntil((s) => /Quorum\s+leader \d+\s+epoch 1\s+high watermark \d+/.test(row(s, /^\s*Quorum\s/)), 'the quorum pane')
    expect(row(quorum, /^\s+voter \d/)).toMatch(/Leader\s+log end\s+\d+\s+lag\s+0\s+leader/)

    // The first broker is selected at start; walk down to the leader.
    for (let i = 0; i < brokers.findIndex((b) => b.id === leader); i++) await keys('Down')
    await screenUntil((s) => row(s, brokerRow(leader)).startsWith('>'), `broker ${leader} selected`)
    await keys('k')
    await screenUntil((s) => s.includes(`Kill broker ${leader}`), 'the kill confirmation')
    await keys('y')

    const screen = await screenUntil((s) => {
      const killed = /KILLED/.test(row(s, brokerRow(leader)))
      const m = new RegExp(`^[> ]\\s+${TOPIC}-0\\s+(\\S+)`).exec(row(s, p0))
      return killed && m !== null && m[1] !== 'none' && Number(m[1]) !== leader
    }, `broker ${leader} killed and a new leader for ${TOPIC}-0`)
    expect(screen).toMatch(new RegExp(`leader of ${TOPIC}-0 moved from ${leader} to \\d`))
    // The partition lost a replica from its ISR: marked so in words.
    expect(row(screen, p0)).toMatch(/UNDER-REPLICATED/)
    // The daemon measures the outage once the producer writes again.
    await screenUntil((s) => new RegExp(`last failover: ${TOPIC}-\\d leader ${leader} -> \\d .*no leader for`).test(s), 'the last failover measured')
    // The idle partitions the broker led: one event line between them, not one each burying the elections.
    // The transactions' partitions were written a few seconds before the kill: the daemon counts
    // them as idle or not by how recent that write was, so the line may name them too.
    expect(idleLed.length).toBeGreaterThanOrEqual(2)
    const mayFold = new Set([...idleLed.map((p) => `${IDLE_TOPIC}-${p.partition}`), ...txnLed.map((p) => `${TXN_TOPIC}-${p.partition}`)])
    const foldedLine = (s: string): string[] | undefined => {
      const m = new RegExp(`failover of \\d+ partitions \\(leader ${leader} lost\\).*no producer was writing: (.*)$`, 'm').exec(s)
      return m ? m[1]!.trim().split(/,\s*/) : undefined
    }
    const folded = await screenUntil((s) => foldedLine(s) !== undefined, `one line for the ${idleLed.length} idle partitions of ${IDLE_TOPIC}`)
    const named = foldedLine(folded)!
    for (const p of idleLed) expect(named).toContain(`${IDLE_TOPIC}-${p.partition}`)
    for (const n of named) expect(mayFold.has(n), `${n} in the folded line`).toBe(true)
    expect(folded.split('\n').filter((l) => /no producer was writing/.test(l) && !/last failover:/.test(l))).toHaveLength(1)

    await keys('q')
    await until('sluice ui to exit on q', async () => ((await tmux('has-session', '-t', SESSION)).exitCode !== 0 ? true : undefined))
  })

  it('refuses another cluster (LOCAL_ONLY, exit 2) even on a terminal', async () => {
    const command = `SLUICE_HOME='${d!.home}' '${process.execPath}' '${BIN}' ui --bootstrap-server kafka-1.example:9092; echo "EXIT=$?"; sleep 30`
    await tmux('new-session', '-d', '-s', 'local-only', '-x', '160', '-y', '20', '-c', REPO_ROOT, command)
    const screen = await screenUntil((s) => s.includes('EXIT='), 'the exit code', 20_000, 'local-only')
    expect(screen).toContain('EXIT=2')
    expect(screen).toMatch(/works only on the local sluice daemon/)
  })
})

describe('sluice ui without a terminal', () => {
  it('exits 2 and points at cluster status --json and cluster events', async () => {
    const r = await sluice(['ui'], { home: '/nonexistent-sluice-home', input: '' })
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/needs a terminal.*sluice cluster status --json.*sluice cluster events/)
    expect(r.stdout).toBe('')
  })
})
