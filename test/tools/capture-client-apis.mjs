#!/usr/bin/env node
/**
 * Captures golden frames (requests AND responses) of the APIs sluice's own client speaks besides
 * the data path (capture-data-path.mjs has Produce, Fetch, ListOffsets, Metadata): the classic
 * group protocol, InitProducerId and the topic administration, from a real client
 * (@platformatic/kafka) talking to a real sluice daemon through recording-proxy.mjs:
 *
 *   npm run build && node test/tools/capture-client-apis.mjs [--out test/fixtures/golden] [--verbose]
 *
 * On a one-broker daemon, the client:
 *   1. creates topic `golden-apis` (CreateTopics), reads and alters its configs
 *      (DescribeConfigs, IncrementalAlterConfigs) and its log dirs (DescribeLogDirs);
 *   2. produces one record with an idempotent producer (InitProducerId);
 *   3. consumes it in group `golden-group` with a short heartbeat interval, commits it and leaves
 *      (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch, OffsetCommit, LeaveGroup);
 *   4. deletes the topic (DeleteTopics).
 * Per API it saves the last exchange that was answered (so JoinGroup is the join that got a
 * generation, not the first MEMBER_ID_REQUIRED), in the capture-frames.mjs fixture format:
 *   platformatic-<Api>-v<N>.hex/.json and platformatic-<Api>-v<N>-response.hex/.json
 */
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { apiName, packageVersion, writeFixture } from './golden-files.mjs'
import { startRecordingProxy } from './recording-proxy.mjs'

const CAPTURED_WITH = 'test/tools/capture-client-apis.mjs'
const TOPIC = 'golden-apis'
const GROUP = 'golden-group'
/** API key -> what the scenario did to get it answered. */
const SCENARIOS = {
  8: `commit the consumed record's offset for group ${GROUP}`,
  9: `read the committed offsets of group ${GROUP} on assignment`,
  10: `find the coordinator of group ${GROUP}`,
  11: `join group ${GROUP} (the join after MEMBER_ID_REQUIRED)`,
  12: `heartbeat as a member of group ${GROUP}`,
  13: `leave group ${GROUP} on close`,
  14: `sync group ${GROUP} as its leader`,
  19: `create topic ${TOPIC}`,
  20: `delete topic ${TOPIC}`,
  22: 'an idempotent producer asks for its producer id',
  32: `describe the configs of topic ${TOPIC}`,
  35: `describe the log dirs of topic ${TOPIC}`,
  44: `set retention.ms of topic ${TOPIC}`,
}

function args() {
  const out = { out: 'test/fixtures/golden', verbose: false }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out.out = argv[++i]
    else if (argv[i] === '--verbose') out.verbose = true
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  return out
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

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

function run(cmd, argv, env) {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

async function startDaemon() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-golden-'))
  for (let attempt = 0; attempt < 4; attempt++) {
    const env = { SLUICE_HOME: home, SLUICE_PORT: String(await freePort()), SLUICE_BROKERS: '1' }
    const r = await run('node', ['bin/run.js', 'daemon', 'start', '--json'], env)
    if (r.code === 0) return { home, env, info: JSON.parse(r.stdout) }
    if (!/in use/.test(r.stdout + r.stderr)) throw new Error(`daemon start failed: ${r.stdout} ${r.stderr}`)
  }
  throw new Error('daemon start failed: no free port')
}

async function stopDaemon(d) {
  await run('node', ['bin/run.js', 'daemon', 'stop'], d.env)
  fs.rmSync(d.home, { recursive: true, force: true })
}

async function scenario(bootstrap) {
  const { Admin, Consumer, Producer, ConfigResourceTypes, IncrementalAlterConfigOperationTypes, stringSerializers, stringDeserializers } = await import('@platformatic/kafka')
  const common = { clientId: 'sluice-capture', bootstrapBrokers: [bootstrap] }
  const admin = new Admin(common)
  try {
    await admin.createTopics({ topics: [TOPIC], partitions: 1, replicas: 1 })
    await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: TOPIC }] })
    await admin.incrementalAlterConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: TOPIC, configs: [{ name: 'retention.ms', value: '3600000', configOperation: IncrementalAlterConfigOperationTypes.SET }] }],
    })
    await admin.describeLogDirs({ topics: [{ name: TOPIC, partitions: [0] }] })

    const producer = new Producer({ ...common, serializers: stringSerializers, idempotent: true })
    try {
      await producer.send({ messages: [{ topic: TOPIC, key: 'k', value: '{"n":0}' }], acks: -1 })
    } finally {
      await producer.close()
    }

    const consumer = new Consumer({ ...common, groupId: GROUP, deserializers: stringDeserializers, heartbeatInterval: 200, sessionTimeout: 10_000, autocommit: false })
    try {
      const stream = await consumer.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest' })
      for await (const message of stream) {
        await message.commit()
        break
      }
      // A few heartbeats go by before the member leaves.
      await sleep(1_000)
      await stream.close()
    } finally {
      await consumer.close()
    }
    await admin.deleteTopics({ topics: [TOPIC] })
  } finally {
    await admin.close()
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

const opts = args()
if (!fs.existsSync('dist/daemon/main.js')) throw new Error('run `npm run build` first (the daemon runs from dist/)')
const daemon = await startDaemon()
const exchanges = []
const proxy = await startRecordingProxy({
  brokers: daemon.info.brokers.map((b) => ({ host: b.host, port: b.port })),
  onExchange: (x) => {
    if (opts.verbose) console.error(`  ${apiName(x.apiKey)} v${x.apiVersion} #${x.correlationId} (connection ${x.connection}): ${x.request.length} + ${x.response?.length ?? '-'} bytes`)
    exchanges.push(x)
  },
})
let failed = false
try {
  await scenario(proxy.bootstrap)
  await sleep(200)
  const clientVersion = `@platformatic/kafka ${packageVersion('@platformatic/kafka')}`
  const answeredBy = sluiceVersion()
  for (const [key, what] of Object.entries(SCENARIOS)) {
    const answered = exchanges.filter((x) => x.apiKey === Number(key) && x.response !== null)
    const x = answered[answered.length - 1]
    if (x === undefined) throw new Error(`no ${apiName(Number(key))} exchange captured`)
    const base = `platformatic-${apiName(x.apiKey)}-v${x.apiVersion}`
    const common = { client: 'platformatic', clientVersion, apiKey: x.apiKey, apiVersion: x.apiVersion, capturedWith: CAPTURED_WITH, scenario: what, answeredBy }
    writeFixture(opts.out, base, x.request, { ...common, direction: 'request' })
    writeFixture(opts.out, `${base}-response`, x.response, { ...common, direction: 'response', request: base })
  }
} catch (error) {
  failed = true
  console.error(error)
} finally {
  await proxy.close()
  await stopDaemon(daemon)
}
// Clients may leave retry timers behind; the capture is done.
process.exit(failed ? 1 : 0)
