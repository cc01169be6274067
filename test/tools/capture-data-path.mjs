#!/usr/bin/env node
/**
 * Captures golden data-path frames (requests AND responses) from real clients talking to a real
 * sluice daemon, through recording-proxy.mjs:
 *
 *   npm run build && node test/tools/capture-data-path.mjs [--out test/fixtures/golden] [--clients kcat,kafkajs,platformatic]
 *
 * --verbose lists every exchange. Starts a one-broker daemon (`bin/run.js daemon start`, temp SLUICE_HOME, a free port), puts the
 * proxy in front of it, and has each client, on its own topic `golden-<client>`:
 *   1. produce GOLDEN_RECORDS (keys, headers, a null value) to a topic that does not exist yet,
 *      so the topic is auto-created through Metadata (no CreateTopics);
 *   2. ask ListOffsets;
 *   3. fetch everything back from offset 0, and check that it got exactly what it produced.
 * Then saves, per client, one exchange of each kind, as fixtures in the capture-frames.mjs format:
 *   <client>-<Api>-v<N>.hex/.json           the request (direction "request")
 *   <client>-<Api>-v<N>-response.hex/.json  its response (direction "response", with the
 *                                            request's apiKey/apiVersion and `request: <base>`)
 * Which exchange: Produce, the only one (checked); Fetch, the largest response (the one with the
 * records); ListOffsets, the first; Metadata, the first naming the topic (the auto-create flow).
 * Responses are the daemon's own bytes (cluster id, timestamps and the broker's port included:
 * fixed once captured); the proxy's address rewriting is not in them.
 *
 * How each client is driven: kcat -P / -C (librdkafka picks every version and request);
 * kafkajs: its producer, admin.fetchTopicOffsets, and a Fetch through its own Cluster/Broker
 * objects (its consumer needs a group coordinator, which sluice does not serve yet);
 * @platformatic/kafka: Producer, Consumer.listOffsets and Consumer.fetch (no group involved).
 */
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { kcatVersion, packageVersion, writeFixture, apiName } from './golden-files.mjs'
import { startRecordingProxy } from './recording-proxy.mjs'

const require = createRequire(import.meta.url)
const CAPTURED_WITH = 'test/tools/capture-data-path.mjs'

/**
 * What every client produces (the golden test checks the captured records against this list).
 * kcat cannot set headers per record: it sends KCAT_HEADERS on every record instead of `headers`.
 */
const GOLDEN_RECORDS = [
  ...Array.from({ length: 6 }, (_, n) => ({ key: `key-${n % 3}`, value: `{"n":${n}}`, headers: [['n', String(n)], ['trace', `t-${n}`]] })),
  { key: 'key-0', value: null, headers: [['n', '6']] },
]
const KCAT_HEADERS = [['source', 'kcat'], ['trace', 'golden']]

function args() {
  const out = { out: 'test/fixtures/golden', clients: ['kcat', 'kafkajs', 'platformatic'], verbose: false }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out.out = argv[++i]
    else if (argv[i] === '--clients') out.clients = argv[++i].split(',')
    else if (argv[i] === '--verbose') out.verbose = true
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  return out
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function check(condition, message) {
  if (!condition) throw new Error(`capture check failed: ${message}`)
}

/** The records as [key, value, headers] strings, sorted, to compare what came back with what was sent. */
function canonical(records) {
  return records.map((r) => JSON.stringify([r.key, r.value, r.headers])).sort()
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** Runs a command to its end. stdin gets `input`, and is closed once `closeStdin` (a promise) settles. */
function run(cmd, argv, { env, input, closeStdin, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs)
    p.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    p.stdin.on('error', () => {})
    p.stdin.write(input ?? '')
    Promise.resolve(closeStdin).finally(() => p.stdin.end())
  })
}

async function startDaemon() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-golden-'))
  for (let attempt = 0; attempt < 4; attempt++) {
    const env = { SLUICE_HOME: home, SLUICE_PORT: String(await freePort()), SLUICE_BROKERS: '1' }
    const r = await run('node', ['bin/run.js', 'daemon', 'start', '--json'], { env })
    if (r.code === 0) return { home, env, info: JSON.parse(r.stdout) }
    if (!/in use/.test(r.stdout + r.stderr)) throw new Error(`daemon start failed: ${r.stdout} ${r.stderr}`)
  }
  throw new Error('daemon start failed: no free port')
}

async function stopDaemon(d) {
  await run('node', ['bin/run.js', 'daemon', 'stop'], { env: d.env })
  fs.rmSync(d.home, { recursive: true, force: true })
}

// ---- the clients -------------------------------------------------------------------------------

async function kcatClient() {
  const version = await kcatVersion()
  if (version === null) return null
  return {
    clientVersion: version,
    run: async (bootstrap, topic, session) => {
      // One partition, so that one Produce request holds every record (librdkafka sends one
      // request per partition); -Z makes the empty value of the last line a null.
      // stdin stays open until the records are sent: at end of input kcat flushes, and a flush
      // sends each record on its own as it reaches the partition queue once the topic exists.
      const input = GOLDEN_RECORDS.map((r) => `${r.key}\t${r.value ?? ''}\n`).join('')
      const headerArgs = KCAT_HEADERS.flatMap(([k, v]) => ['-H', `${k}=${v}`])
      const produced = await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-K', '\t', '-Z', ...headerArgs, '-X', 'linger.ms=100'], {
        input,
        closeStdin: session.until((x) => x.apiKey === 0 && x.response !== null, 20_000),
      })
      check(produced.code === 0, `kcat -P exited ${produced.code}: ${produced.stderr}`)
      const consumed = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J'])
      check(consumed.code === 0, `kcat -C exited ${consumed.code}: ${consumed.stderr}`)
      const got = consumed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .map((m) => ({ key: m.key, value: m.payload, headers: chunk(m.headers ?? []) }))
      const sent = GOLDEN_RECORDS.map((r) => ({ key: r.key, value: r.value, headers: KCAT_HEADERS }))
      check(JSON.stringify(canonical(got)) === JSON.stringify(canonical(sent)), `kcat read back ${JSON.stringify(got)}`)
    },
  }
}

function chunk(flat) {
  const out = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]])
  return out
}

const str = (b) => (b === null || b === undefined ? null : b.toString('utf8'))

async function kafkajsClient() {
  const { Kafka, logLevel, Partitioners } = require('kafkajs')
  return {
    clientVersion: `kafkajs ${packageVersion('kafkajs')}`,
    run: async (bootstrap, topic) => {
      const kafka = new Kafka({ clientId: 'sluice-capture', brokers: [bootstrap], logLevel: logLevel.NOTHING })
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
      await producer.connect()
      const messages = GOLDEN_RECORDS.map((r) => ({ key: r.key, value: r.value, headers: Object.fromEntries(r.headers) }))
      await producer.send({ topic, messages, acks: -1 })
      await producer.disconnect()

      const admin = kafka.admin()
      await admin.connect()
      const offsets = await admin.fetchTopicOffsets(topic)
      await admin.disconnect()
      const partitions = offsets.map((o) => o.partition).sort()

      // kafkajs' own Fetch encoder and decoder, without a consumer group.
      const createCluster = kafka[Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')]
      const cluster = createCluster({ allowAutoTopicCreation: false })
      await cluster.connect()
      await cluster.addTargetTopic(topic)
      const leaders = new Set(cluster.findTopicPartitionMetadata(topic).map((p) => p.leader))
      check(leaders.size === 1, 'one broker leads every partition')
      const broker = await cluster.findBroker({ nodeId: [...leaders][0] })
      const response = await broker.fetch({
        isolationLevel: 0,
        maxWaitTime: 100,
        minBytes: 1,
        topics: [{ topic, partitions: partitions.map((partition) => ({ partition, fetchOffset: '0', maxBytes: 1 << 20 })) }],
      })
      await cluster.disconnect()
      const got = response.responses.flatMap((t) =>
        t.partitions.flatMap((p) => p.messages.map((m) => ({ key: str(m.key), value: str(m.value), headers: Object.entries(m.headers).map(([k, v]) => [k, str(v)]) }))),
      )
      check(JSON.stringify(canonical(got)) === JSON.stringify(canonical(GOLDEN_RECORDS)), `kafkajs read back ${JSON.stringify(got)}`)
    },
  }
}

async function platformaticClient() {
  const { Consumer, Producer, stringSerializers } = await import('@platformatic/kafka')
  return {
    clientVersion: `@platformatic/kafka ${packageVersion('@platformatic/kafka')}`,
    run: async (bootstrap, topic) => {
      const common = { clientId: 'sluice-capture', bootstrapBrokers: [bootstrap] }
      const producer = new Producer({ ...common, serializers: stringSerializers, autocreateTopics: true })
      try {
        const messages = GOLDEN_RECORDS.map((r) => ({ topic, key: r.key, value: r.value ?? undefined, headers: new Map(r.headers) }))
        await producer.send({ messages, acks: -1 })
      } finally {
        await producer.close()
      }
      const consumer = new Consumer({ ...common, groupId: 'sluice-capture' })
      try {
        const offsets = await consumer.listOffsets({ topics: [topic] })
        const partitions = offsets.get(topic).map((_, partition) => partition)
        const response = await consumer.fetch({
          node: 1,
          maxWaitTime: 100,
          minBytes: 1,
          topics: [{ topicId: topic, partitions: partitions.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 })) }],
        })
        const got = response.responses.flatMap((t) =>
          t.partitions.flatMap((p) =>
            (p.records ?? []).flatMap((batch) => batch.records.map((m) => ({ key: str(m.key), value: str(m.value), headers: m.headers.map(([k, v]) => [str(k), str(v)]) }))),
          ),
        )
        check(JSON.stringify(canonical(got)) === JSON.stringify(canonical(GOLDEN_RECORDS)), `platformatic read back ${JSON.stringify(got)}`)
      } finally {
        await consumer.close()
      }
    },
  }
}

const CLIENTS = { kcat: kcatClient, kafkajs: kafkajsClient, platformatic: platformaticClient }

// ---- choosing and saving exchanges -------------------------------------------------------------

// Each client checked, before anything is saved, that it read back exactly what it produced.
const SCENARIOS = {
  0: 'produce GOLDEN_RECORDS (capture-data-path.mjs) with acks=-1 to a new topic, in one Produce request',
  1: 'fetch every partition from offset 0 after producing (the client read back exactly GOLDEN_RECORDS): the Fetch with the largest response',
  2: 'ListOffsets after producing: the first one',
  3: 'auto-create: the first Metadata naming a topic that does not exist yet',
}

function choose(exchanges, topic) {
  const named = Buffer.from(topic)
  const of = (apiKey) => exchanges.filter((x) => x.apiKey === apiKey && x.response !== null && x.request.includes(named))
  const largest = (xs, size) => xs.reduce((best, x) => (best === undefined || size(x) > size(best) ? x : best), undefined)
  return {
    0: largest(of(0), (x) => x.request.length),
    1: largest(of(1), (x) => x.response.length),
    2: of(2)[0],
    3: of(3)[0],
  }
}

function sluiceVersion() {
  const version = JSON.parse(fs.readFileSync('package.json', 'utf8')).version
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {}
  return `sluice ${version} (git HEAD ${commit} at capture time), 1 broker`
}

function save(out, client, clientVersion, chosen, answeredBy) {
  for (const [key, x] of Object.entries(chosen)) {
    if (x === undefined) throw new Error(`${client}: no ${apiName(Number(key))} exchange captured`)
    const base = `${client}-${apiName(x.apiKey)}-v${x.apiVersion}`
    const common = { client, clientVersion, apiKey: x.apiKey, apiVersion: x.apiVersion, capturedWith: CAPTURED_WITH, scenario: SCENARIOS[key], answeredBy }
    writeFixture(out, base, x.request, { ...common, direction: 'request' })
    writeFixture(out, `${base}-response`, x.response, { ...common, direction: 'response', request: base })
  }
}

/** What a client runner sees of the capture: its exchanges so far, and a way to wait for one. */
function sessionOf(state) {
  return {
    get exchanges() {
      return state.exchanges
    },
    until: async (predicate, timeoutMs) => {
      for (let waitedMs = 0; waitedMs < timeoutMs; waitedMs += 20) {
        if (state.exchanges.some(predicate)) return
        await sleep(20)
      }
    },
  }
}

// ---- main --------------------------------------------------------------------------------------

const opts = args()
check(fs.existsSync('dist/daemon/main.js'), 'run `npm run build` first (the daemon runs from dist/)')
const daemon = await startDaemon()
let current = null
const proxy = await startRecordingProxy({
  brokers: daemon.info.brokers.map((b) => ({ host: b.host, port: b.port })),
  onExchange: (x) => {
    if (opts.verbose) console.error(`  ${apiName(x.apiKey)} v${x.apiVersion} #${x.correlationId} (connection ${x.connection}): ${x.request.length} + ${x.response?.length ?? '-'} bytes`)
    current?.exchanges.push(x)
  },
})
const answeredBy = sluiceVersion()
let failed = false
try {
  for (const client of opts.clients) {
    const make = CLIENTS[client]
    if (!make) throw new Error(`unknown client ${client}`)
    const runner = await make()
    if (!runner) {
      console.error(`${client} not installed, skipped`)
      continue
    }
    const topic = `golden-${client}`
    current = { exchanges: [] }
    await runner.run(proxy.bootstrap, topic, sessionOf(current))
    // The golden test expects every record in the one Produce request.
    const produces = current.exchanges.filter((x) => x.apiKey === 0 && x.request.includes(Buffer.from(topic))).length
    check(produces === 1, `${client} sent ${produces} Produce requests, not one`)
    await sleep(200)
    save(opts.out, client, runner.clientVersion, choose(current.exchanges, topic), answeredBy)
  }
} catch (error) {
  failed = true
  console.error(error)
} finally {
  current = null
  await proxy.close()
  await stopDaemon(daemon)
}
// Clients may leave retry timers behind; the capture is done.
process.exit(failed ? 1 : 0)
