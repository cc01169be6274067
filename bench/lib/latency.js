/**
 * Produce-to-consume latency at a steady rate: this process writes records stamped with their
 * send time (performance.now(), so the send and receive clocks are the same clock) into
 * `kcat -P` at a fixed rate, and reads them back from `kcat -C -u` following the topic; latency =
 * receive time - stamp. Both clients are librdkafka, so the figure is the daemon's path (produce
 * request, acks=all, high watermark, long-poll wake-up, fetch) plus two pipes, not a JS client's
 * batching. The producer runs with linger.ms=0 (librdkafka 2.0's default is 5 ms, which would add
 * up to 5 ms to every record and measure the client, not sluice).
 */
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { createTopic } from './topics.js'

const PAD = 'x'.repeat(64)

/** One record the latency steps send: its sequence number and send time (performance.now(), ms). */
export function recordLine(seq, sentMs) {
  return `{"seq":${seq},"sentMs":${sentMs.toFixed(3)},"pad":"${PAD}"}\n`
}

/** The p-th percentile (0-100) of values sorted ascending. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
}

/** Collects kcat's stderr (bounded) for error messages. */
function stderrOf(child) {
  let text = ''
  child.stderr.on('data', (d) => (text = (text + d).slice(-8192)))
  return () => text.trim()
}

/**
 * opts.onRecord(seq, sentAtMs, receivedAtMs), when given, is called for every measured record,
 * with both times on the wall clock (performance.timeOrigin + performance.now(), in ms), for tools
 * that line the records up with other clocks (bench/latency-breakdown.js and its packet capture).
 */
export async function measureLatency(daemon, topic, opts = {}) {
  const { ratePerSec = 10_000, warmupMs = 2_000, measureMs = 10_000, cooldownMs = 500, drainTimeoutMs = 5_000, partitions = 3, lingerMs = 0, onRecord } = opts
  await createTopic(daemon.bootstrap, topic, partitions)
  const consumer = spawn('kcat', ['-C', '-b', daemon.bootstrap, '-t', topic, '-o', 'end', '-u', '-q', '-f', '%s\\n'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const producer = spawn('kcat', ['-P', '-b', daemon.bootstrap, '-t', topic, '-X', 'acks=all', '-X', `linger.ms=${lingerMs}`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  const consumerErr = stderrOf(consumer)
  const producerErr = stderrOf(producer)
  producer.stdin.on('error', () => undefined) // a dead producer is reported by its exit below

  const latenciesMs = []
  let measureStart = Infinity
  // Records from this sequence number on are measured; those before it are warm-up.
  let measureFromSeq = Infinity
  let measureToSeq = Infinity
  let received = 0
  let duplicates = 0
  const seen = new Set()
  const worstPerSlot = []
  const pacerLagMs = []
  let receivedWarm = 0
  let partial = ''
  consumer.stdout.setEncoding('utf8')
  consumer.stdout.on('data', (chunk) => {
    const now = performance.now()
    const text = partial + chunk
    const last = text.lastIndexOf('\n')
    partial = text.slice(last + 1)
    if (last === -1) return
    for (const m of text.slice(0, last).matchAll(/"seq":(\d+),"sentMs":([\d.]+)/g)) {
      const seq = Number(m[1])
      if (seq >= measureFromSeq && seq < measureToSeq) {
        if (seen.has(seq)) {
          duplicates++
          continue
        }
        seen.add(seq)
        const latencyMs = now - Number(m[2])
        latenciesMs.push(latencyMs)
        onRecord?.(seq, performance.timeOrigin + Number(m[2]), performance.timeOrigin + now)
        // The worst latency per 100 ms of send time: shows whether the tail is periodic stalls.
        const slot = Math.floor((Number(m[2]) - measureStart) / 100)
        if (slot >= 0 && !(worstPerSlot[slot] >= latencyMs)) worstPerSlot[slot] = latencyMs
        received++
      } else if (seq < measureFromSeq) {
        receivedWarm++
      }
    }
  })

  let sent = 0
  let failed
  const dead = Promise.race([exited(producer), exited(consumer)]).then(() => {
    failed ??= `a kcat process exited early: producer: ${producerErr() || producer.exitCode}; consumer: ${consumerErr() || consumer.exitCode}`
  })
  try {
    const started = performance.now()
    let warmUntil = started + warmupMs
    let stopAt = Infinity
    for (;;) {
      if (failed) throw new Error(failed)
      const now = performance.now()
      // Measure only once the consumer follows the topic (it sees warm-up records), at most 20 s in.
      if (measureStart === Infinity && now >= warmUntil) {
        if (receivedWarm > 0 || now - started > 20_000) {
          if (receivedWarm === 0) throw new Error(`the latency consumer received nothing in 20 s: ${consumerErr()}`)
          measureStart = now
          measureFromSeq = sent
          stopAt = now + measureMs
        } else {
          warmUntil = now + 100
        }
      }
      // The measured records are followed by more of the same for cooldownMs: kcat -P reads its
      // input in chunks, and the last lines of a stream would otherwise wait for the end of input.
      if (now >= stopAt && measureToSeq === Infinity) measureToSeq = sent
      if (now >= stopAt + cooldownMs) break
      const due = Math.floor(((now - started) * ratePerSec) / 1000)
      if (due > sent) {
        let lines = ''
        const stamp = performance.now()
        for (; sent < due; sent++) lines += recordLine(sent, stamp)
        producer.stdin.write(lines)
      }
      const asleep = performance.now()
      await sleep(1)
      // The pacer's own lateness: a control for the machine's scheduling noise, which no server
      // could beat (this process only writes and reads pipes).
      if (measureStart !== Infinity && measureToSeq === Infinity) pacerLagMs.push(performance.now() - asleep - 1)
    }
    // Let the last records arrive.
    const deadline = performance.now() + drainTimeoutMs
    while (received < measureToSeq - measureFromSeq && performance.now() < deadline && !failed) await sleep(10)
    if (failed) throw new Error(failed)
  } finally {
    producer.stdin.end()
    await Promise.race([exited(producer), sleep(5_000)])
    producer.kill('SIGKILL')
    consumer.kill('SIGTERM')
    await Promise.race([exited(consumer), sleep(2_000)])
    consumer.kill('SIGKILL')
    void dead
  }
  const sentMeasured = measureToSeq - measureFromSeq
  latenciesMs.sort((a, b) => a - b)
  pacerLagMs.sort((a, b) => a - b)
  return {
    ratePerSec,
    lingerMs,
    measuredSeconds: measureMs / 1000,
    sent: sentMeasured,
    received,
    missing: sentMeasured - received,
    duplicates,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    p999Ms: percentile(latenciesMs, 99.9),
    maxMs: latenciesMs.at(-1) ?? NaN,
    pacerLagP99Ms: percentile(pacerLagMs, 99),
    pacerLagMaxMs: pacerLagMs.at(-1) ?? NaN,
    worstMsPer100ms: Array.from(worstPerSlot, (x) => (x === undefined ? null : Math.round(x * 10) / 10)),
  }
}

