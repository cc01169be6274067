#!/usr/bin/env node
/**
 * Captures golden request frames from real Kafka clients, for codec tests.
 *
 *   node test/tools/capture-frames.mjs [--out test/fixtures/golden] [--clients kcat,kcat-noapiversions,kafkajs,platformatic]
 *
 * Listens on 127.0.0.1 (a free port), points each client at it, and saves the first request frame
 * of every connection (the 4-byte size prefix included) as hex, one frame per file:
 *   <out>/<client>-<ApiName>-v<N>.hex   and a sidecar   <out>/<client>-<ApiName>-v<N>.json
 * The sidecar says what the frame is: { client, clientVersion, direction, apiKey, apiName,
 * apiVersion, sizePrefixed, capturedWith }. The same format serves frames captured later by a
 * recording proxy (direction "response", with the request's apiKey/apiVersion).
 *
 * The connection is closed right after the first frame, so clients only ever send their opening
 * request (ApiVersions, or whatever they fall back to after a failed one). Plain Node, no build:
 * it runs from a fresh checkout. The data path (Produce, Fetch, ListOffsets, requests and
 * responses) is captured by capture-data-path.mjs through recording-proxy.mjs.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { createRequire } from 'node:module'
import { apiName, kcatVersion, packageVersion, writeFixture } from './golden-files.mjs'

const require = createRequire(import.meta.url)

function args() {
  const out = { out: 'test/fixtures/golden', clients: ['kcat', 'kcat-noapiversions', 'kafkajs', 'platformatic'] }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out.out = argv[++i]
    else if (argv[i] === '--clients') out.clients = argv[++i].split(',')
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  return out
}

const opts = args()
fs.mkdirSync(opts.out, { recursive: true })

let current = null // { client, clientVersion, saved: Set }

const server = net.createServer((socket) => {
  let pending = Buffer.alloc(0)
  socket.on('error', () => {})
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk])
    if (pending.length < 4) return
    const size = pending.readInt32BE(0)
    if (size < 8 || size > 1 << 20) return socket.destroy()
    if (pending.length < 4 + size) return
    save(pending.subarray(0, 4 + size))
    socket.destroy()
  })
})

function save(frame) {
  if (!current) return
  const apiKey = frame.readInt16BE(4)
  const apiVersion = frame.readInt16BE(6)
  const base = `${current.client}-${apiName(apiKey)}-v${apiVersion}`
  if (current.saved.has(base)) return
  current.saved.add(base)
  writeFixture(opts.out, base, frame, {
    client: current.client,
    clientVersion: current.clientVersion,
    direction: 'request',
    apiKey,
    apiVersion,
    capturedWith: 'test/tools/capture-frames.mjs',
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function runKcat(port, extraArgs = []) {
  const version = await kcatVersion()
  if (version === null) {
    console.error('kcat not installed, skipped')
    return null
  }
  return {
    clientVersion: version,
    run: async () => {
      const p = spawn('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-m', '3', ...extraArgs], { stdio: 'ignore' })
      await Promise.race([new Promise((resolve) => p.on('close', resolve)), sleep(4000)])
      p.kill('SIGKILL')
    },
  }
}

async function runKafkajs(port) {
  const { Kafka, logLevel } = require('kafkajs')
  return {
    clientVersion: `kafkajs ${packageVersion('kafkajs')}`,
    run: async () => {
      const kafka = new Kafka({ clientId: 'sluice-capture', brokers: [`127.0.0.1:${port}`], retry: { retries: 1 }, logLevel: logLevel.NOTHING })
      const admin = kafka.admin()
      await admin.connect().catch(() => {})
      await admin.disconnect().catch(() => {})
    },
  }
}

async function runPlatformatic(port) {
  const { Admin } = await import('@platformatic/kafka')
  return {
    clientVersion: `@platformatic/kafka ${packageVersion('@platformatic/kafka')}`,
    run: async () => {
      const admin = new Admin({ clientId: 'sluice-capture', bootstrapBrokers: [`127.0.0.1:${port}`], retries: 1 })
      await Promise.race([admin.listTopics().catch(() => {}), sleep(4000)])
      await admin.close().catch(() => {})
    },
  }
}

const RUNNERS = {
  kcat: runKcat,
  // librdkafka without ApiVersions (as against brokers older than 0.10): opens with Metadata.
  'kcat-noapiversions': (port) => runKcat(port, ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0']),
  kafkajs: runKafkajs,
  platformatic: runPlatformatic,
}

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address()
for (const client of opts.clients) {
  const make = RUNNERS[client]
  if (!make) throw new Error(`unknown client ${client}`)
  const runner = await make(port)
  if (!runner) continue
  current = { client, clientVersion: runner.clientVersion, saved: new Set() }
  await runner.run()
  await sleep(200)
  if (current.saved.size === 0) console.error(`${client}: no frame captured`)
}
current = null
server.close()
// Clients may leave retry timers behind; the capture is done.
process.exit(0)
