#!/usr/bin/env node
/**
 * The daemon's CPU per acks=all produce request, with a request pattern that does not depend on
 * how fast the daemon answers (unlike kcat's, whose batching follows the daemon's pace): one
 * connection per partition leader, each sending Produce v8 requests of one small batch (3 records
 * of ~100 bytes) with exactly `--depth` in flight, `--requests` per partition. It reports the
 * daemon's CPU per request (main thread, other threads) and the requests per second.
 *
 *   npm run build && node bench/request-cost.js [--requests 5000] [--depth 1] [--partitions 3]
 *
 * A yardstick for changes to the request path: it runs on a fresh 3-broker daemon in a temp home.
 */
import net from 'node:net'
import { parseArgs } from 'node:util'
import { BenchDaemon, cpuOf, sluice } from './lib/daemon.js'
import { check } from './lib/proc.js'
import { createTopic } from './lib/topics.js'
import { encodeRequest, decodeResponse } from '../dist/protocol/frame.js'
import { FrameDecoder } from '../dist/protocol/frame-decoder.js'
import { encodeBatch } from '../dist/client/produce/batch-encoder.js'

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    depth: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1000' },
  },
})
const REQUESTS = Number(args.requests)
const DEPTH = Number(args.depth)
const PARTITIONS = Number(args.partitions)
const WARMUP = Number(args.warmup)
const TOPIC = 'request-cost'
const log = (m) => process.stderr.write(`request-cost: ${m}\n`)

function record(i) {
  return { key: null, value: Buffer.from(JSON.stringify({ id: i, customer: `c${i % 1000}`, amount: (i % 10000) / 100, ts: 1733300000000 + i, pad: 'x'.repeat(30) })) }
}

/** One connection, `count` requests to `partition`, `DEPTH` in flight. Resolves when all are answered. */
function drive(host, port, partition, count, startSeq) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true })
    const decoder = new FrameDecoder()
    let sent = 0
    let answered = 0
    let corr = 0
    const send = () => {
      const i = startSeq + sent++
      const batch = encodeBatch([record(i * 3), record(i * 3 + 1), record(i * 3 + 2)], { producerId: -1, producerEpoch: -1, baseSequence: -1, compression: 'none', nowMs: Date.now() })
      const body = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }] }
      for (const chunk of encodeRequest(0, 8, corr++, 'request-cost', body)) socket.write(chunk)
    }
    socket.on('connect', () => {
      for (let k = 0; k < DEPTH && sent < count; k++) send()
    })
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const { body } = decodeResponse(0, 8, frame)
        const code = body.responses[0].partitionResponses[0].errorCode
        if (code !== 0) return reject(new Error(`partition ${partition}: error code ${code}`))
        answered++
        if (sent < count) send()
        else if (answered === count) {
          socket.end()
          resolve()
        }
      }
    })
    socket.on('error', reject)
  })
}

const daemon = new BenchDaemon({})
try {
  await daemon.start()
  await createTopic(daemon.bootstrap, TOPIC, PARTITIONS, 3)
  const { partitions } = JSON.parse(check(await sluice(['topic', 'describe', TOPIC, '--json'], { env: daemon.env, stdout: 'pipe' }), 'sluice topic describe').stdout)
  const brokers = new Map(daemon.info.brokers.map((b) => [b.id, b]))
  const targets = partitions.map((p) => ({ partition: p.partition, leader: brokers.get(p.leader) }))
  const runAll = (count, seq) => Promise.all(targets.map((t) => drive(t.leader.host, t.leader.port, t.partition, count, seq)))
  await runAll(WARMUP, 0)
  await new Promise((r) => setTimeout(r, 1000))
  const before = cpuOf(daemon.pid)
  const t0 = performance.now()
  await runAll(REQUESTS, WARMUP)
  const wallMs = performance.now() - t0
  const after = cpuOf(daemon.pid)
  const total = REQUESTS * targets.length
  const mainUs = ((after.mainMs - before.mainMs) * 1000) / total
  const otherUs = ((after.otherMs - before.otherMs) * 1000) / total
  console.log(
    `${total} produce requests (acks=all, 3 records each, ${DEPTH} in flight per partition): ${Math.round(total / (wallMs / 1000))} requests/s; ` +
      `daemon CPU per request: main thread ${mainUs.toFixed(1)} us, other threads ${otherUs.toFixed(1)} us`,
  )
} finally {
  await daemon.dispose()
}
