#!/usr/bin/env node
/**
 * Where produce-to-consume latency goes: the bench's latency step (bench/lib/latency.js: kcat -P
 * with linger.ms=0 and acks=all into a fresh 3-broker daemon, kcat -C following the topic) with
 * tcpdump capturing the daemon's ports on loopback. Each record is found three more times: in the
 * produce request on the wire, in the fetch response on the wire, and when the bench reads it from
 * the consumer. So its latency splits into
 *
 *   producer  the bench's send -> the produce request on the wire (pipe, kcat, librdkafka)
 *   daemon    the request on the wire -> the fetch response carrying the record on the wire (the
 *             socket's queue until the daemon reads it, the produce, replication and the HWM, the
 *             consumer's fetch woken, the response written)
 *   consumer  the response on the wire -> the bench reads the record (librdkafka, kcat, pipe)
 *
 *   npm run build && node bench/latency-breakdown.js [--rate 10000] [--seconds 10] [--keep DIR]
 *
 * Needs tcpdump (`apt-get install -y tcpdump`) and the right to capture on lo (root, or
 * CAP_NET_RAW).
 *
 * The reference: the same producer, paced the same way, into librdkafka's in-memory mock cluster
 * (inside kcat: no sluice), with the mock's ports captured. Its producer part is what the clients
 * and this machine cost before any broker is involved. (The mock cannot serve as an end-to-end
 * reference: its fetch answers only at fetch.wait.max.ms, not when records arrive.)
 *
 * The capture's clock is the kernel's wall clock, the bench's is
 * performance.timeOrigin + performance.now(): the same clock to well under a millisecond over a
 * run, unless NTP steps it meanwhile. The figures of the worst 1% tell which part the tail is.
 * Writes its figures to bench/results/latency-breakdown-<timestamp>.json.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { BenchDaemon } from './lib/daemon.js'
import { measureLatency, percentile, recordLine } from './lib/latency.js'
import { writeFigures } from './lib/session.js'

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    keep: { type: 'string' },
  },
})
const RATE = Number.parseInt(args.rate, 10)
const SECONDS = Number.parseInt(args.seconds, 10)
const log = (msg) => process.stderr.write(`latency-breakdown: ${msg}\n`)

if (spawnSync('tcpdump', ['--version']).error) {
  log('needs tcpdump: apt-get install -y tcpdump')
  process.exit(2)
}

/** tcpdump of TCP on `ports` into `file`; resolves once it listens. */
async function startCapture(ports, file) {
  const filter = `tcp and (${ports.map((p) => `port ${p}`).join(' or ')})`
  const child = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-B', '65536', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  const exited = new Promise((resolve) => child.once('close', resolve))
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d
      if (/listening on/.test(stderr)) resolve()
    })
    child.once('error', reject)
    void exited.then(() => reject(new Error(`tcpdump exited: ${stderr.trim()}`)))
  })
  return {
    stop: async () => {
      child.kill('SIGINT')
      await exited
      return stderr.trim().split('\n').filter((l) => /captured|dropped/.test(l))
    },
  }
}

/**
 * The first time each record (by its "seq") appears in a segment towards a port of `ports`
 * (a produce request) and in one from them (a fetch response). A record split across two segments
 * is missed, and left out of the figures.
 */
function recordsOnTheWire(file, ports) {
  const data = fs.readFileSync(file)
  const magic = data.readUInt32LE(0)
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${file}: not a little-endian pcap file`)
  const nanos = magic === 0xa1b23c4d
  const linkHeader = { 1: 14, 113: 16, 276: 20 }[data.readUInt32LE(20)]
  if (linkHeader === undefined) throw new Error(`${file}: link type ${data.readUInt32LE(20)} not known`)
  const requests = new Map()
  const responses = new Map()
  const pattern = /"seq":(\d+)/g
  for (let at = 24; at + 16 <= data.length; ) {
    const ms = data.readUInt32LE(at) * 1000 + data.readUInt32LE(at + 4) / (nanos ? 1e6 : 1e3)
    const length = data.readUInt32LE(at + 8)
    const packet = data.subarray(at + 16, at + 16 + length)
    at += 16 + length
    const ip = packet.subarray(linkHeader)
    if (ip.length < 20 || ip[0] >> 4 !== 4) continue
    const tcp = ip.subarray((ip[0] & 15) * 4)
    const payload = tcp.subarray((tcp[12] >> 4) * 4)
    if (payload.length === 0) continue
    const into = ports.has(tcp.readUInt16BE(2)) ? requests : ports.has(tcp.readUInt16BE(0)) ? responses : undefined
    if (!into) continue
    for (const m of payload.toString('latin1').matchAll(pattern)) {
      const seq = Number(m[1])
      if (!into.has(seq)) into.set(seq, ms)
    }
  }
  return { requests, responses }
}

/**
 * The reference: RATE records/s, as bench/lib/latency.js paces them, into `kcat -P` with
 * librdkafka's mock cluster (3 brokers inside kcat), for SECONDS after 2 s of warm-up; resolves
 * with the producer part of each record (send -> produce request on the wire) in ms.
 */
async function producerIntoMock(file) {
  const kcat = spawn('kcat', ['-P', '-b', 'mock', '-X', 'test.mock.num.brokers=3', '-d', 'mock', '-t', 'latency-breakdown', '-X', 'acks=all', '-X', 'linger.ms=0'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  kcat.stdin.on('error', () => undefined)
  const bootstrap = await new Promise((resolve, reject) => {
    let text = ''
    kcat.stderr.on('data', (d) => {
      text = (text + d).slice(-65536)
      const m = /bootstrap\.servers=(\S+)/.exec(text)
      if (m) resolve(m[1])
    })
    kcat.once('close', () => reject(new Error(`kcat with the mock cluster exited: ${text.trim().slice(-500)}`)))
  })
  kcat.stderr.removeAllListeners('data')
  kcat.stderr.resume()
  const mockPorts = new Set(bootstrap.split(',').map((hostPort) => Number(hostPort.split(':').at(-1))))
  const capture = await startCapture([...mockPorts], file)
  const sentAt = new Map()
  try {
    const started = performance.now()
    const measureFrom = started + 2_000
    let sent = 0
    while (performance.now() < measureFrom + SECONDS * 1000) {
      const due = Math.floor(((performance.now() - started) * RATE) / 1000)
      if (due > sent) {
        const stamp = performance.now()
        let lines = ''
        for (; sent < due; sent++) {
          lines += recordLine(sent, stamp)
          if (stamp >= measureFrom) sentAt.set(sent, performance.timeOrigin + stamp)
        }
        kcat.stdin.write(lines)
      }
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  } finally {
    await capture.stop()
    kcat.stdin.end()
    kcat.kill('SIGKILL')
  }
  const { requests } = recordsOnTheWire(file, mockPorts)
  const parts = []
  for (const [seq, at] of sentAt) if (requests.has(seq)) parts.push(requests.get(seq) - at)
  if (parts.length < sentAt.size / 2) throw new Error(`only ${parts.length} of ${sentAt.size} records into the mock were found on the wire`)
  return parts
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), max: sorted.at(-1) }
}

const dir = args.keep ? path.resolve(args.keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-latency-breakdown-'))
fs.mkdirSync(dir, { recursive: true })
const pcap = path.join(dir, 'capture.pcap')
const daemon = new BenchDaemon()
await daemon.start()
const ports = new Set(daemon.info.brokers.map((b) => b.port))
let figures
let disposed = false
try {
  const capture = await startCapture([...ports], pcap)
  const sent = new Map()
  let result
  try {
    log(`${RATE} records/s for ${SECONDS} s, capturing ports ${[...ports].join(', ')} into ${pcap}`)
    result = await measureLatency(daemon, 'latency-breakdown', {
      ratePerSec: RATE,
      measureMs: SECONDS * 1000,
      onRecord: (seq, sentAtMs, receivedAtMs) => sent.set(seq, [sentAtMs, receivedAtMs]),
    })
  } finally {
    for (const line of await capture.stop()) log(`tcpdump: ${line}`)
  }
  const { requests, responses } = recordsOnTheWire(pcap, ports)
  const rows = []
  for (const [seq, [sentAt, receivedAt]] of sent) {
    const request = requests.get(seq)
    const response = responses.get(seq)
    if (request === undefined || response === undefined) continue
    rows.push({ total: receivedAt - sentAt, producer: request - sentAt, daemon: response - request, consumer: receivedAt - response })
  }
  if (rows.length < sent.size / 2) throw new Error(`only ${rows.length} of ${sent.size} records were found on the wire: did tcpdump drop packets?`)
  const parts = ['total', 'producer', 'daemon', 'consumer']
  const worst = [...rows].sort((a, b) => a.total - b.total).slice(Math.floor(rows.length * 0.99))
  figures = {
    ...result,
    found: rows.length,
    parts: Object.fromEntries(parts.map((p) => [p, percentiles(rows.map((r) => r[p]))])),
    worstPercentMeanMs: Object.fromEntries(parts.map((p) => [p, worst.reduce((sum, r) => sum + r[p], 0) / worst.length])),
  }
  // The reference runs without the daemon beside it.
  await daemon.dispose()
  disposed = true
  log(`the reference: the same producer into librdkafka's mock cluster`)
  figures.mockProducer = percentiles(await producerIntoMock(path.join(dir, 'mock.pcap')))
} finally {
  if (!disposed) await daemon.dispose()
  if (!args.keep) fs.rmSync(dir, { recursive: true, force: true })
}

const f = (ms) => `${ms.toFixed(2)} ms`.padStart(10)
console.log(`latency at ${RATE.toLocaleString('en-US')} records/s for ${SECONDS} s: ${figures.found.toLocaleString('en-US')} of ${figures.received.toLocaleString('en-US')} records found on the wire`)
console.log(`${'part'.padEnd(10)}${['p50', 'p90', 'p99', 'p99.9', 'max'].map((h) => h.padStart(10)).join('')}  worst 1%, mean`)
for (const [part, p] of Object.entries(figures.parts)) {
  console.log(`${part.padEnd(10)}${[p.p50, p.p90, p.p99, p.p999, p.max].map(f).join('')}  ${f(figures.worstPercentMeanMs[part])}`)
}
const m = figures.mockProducer
console.log(`${'producer'.padEnd(10)}${[m.p50, m.p90, m.p99, m.p999, m.max].map(f).join('')}  into librdkafka's mock cluster (the reference: no sluice)`)
console.log('(producer: bench -> produce request on the wire; daemon: request -> fetch response on the wire; consumer: response -> bench)')
const file = writeFigures('latency-breakdown-', { version: 1, date: new Date().toISOString(), loadAverage: os.loadavg()[0], ...figures })
log(`figures written to ${path.relative(process.cwd(), file)}`)
