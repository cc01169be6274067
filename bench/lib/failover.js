/**
 * Failover unavailability: a probe producer (@platformatic/kafka, acks=all) writes one record to
 * partition 0 of a replication-3 topic every PROBE_INTERVAL_MS, retrying each until it is
 * acknowledged; the partition's leader is killed (a crash, or `--clean`: a controlled shutdown
 * that moves leadership first). The unavailability is the longest pause between two
 * acknowledgements around the kill. The broker is started again and the ISR waited for.
 *
 * The daemon keeps its broker configs (the session timeout, 9 s by default, is what a crash costs).
 */
import { Producer, stringSerializers } from '@platformatic/kafka'
import { check } from './proc.js'
import { sluice } from './daemon.js'
import { withAdmin } from './topics.js'

const PROBE_INTERVAL_MS = 10
const SETTLE_MS = 1_000
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function partition0(daemon, topic) {
  const r = check(await sluice(['cluster', 'partitions', '--topic', topic, '--json'], { env: daemon.env, stdout: 'pipe' }), 'sluice cluster partitions')
  return JSON.parse(r.stdout).partitions.find((p) => p.partition === 0)
}

export async function measureFailover(daemon, topic, { clean }) {
  await withAdmin(daemon.bootstrap, (admin) => admin.createTopics({ topics: [topic], partitions: 1, replicas: 3 }))
  const producer = new Producer({
    clientId: 'sluice-bench-failover',
    // Every broker: @platformatic/kafka asks its bootstrap brokers for metadata, and the one
    // killed may be the only one given.
    bootstrapBrokers: daemon.info.brokers?.map((b) => `${b.host}:${b.port}`) ?? [daemon.bootstrap],
    serializers: stringSerializers,
    retries: 0,
    timeout: 5_000,
  })
  const ackedAtMs = []
  let stop = false
  let failedSends = 0
  const probing = (async () => {
    for (let n = 0; !stop; n++) {
      for (;;) {
        try {
          await producer.send({ messages: [{ topic, value: String(n), partition: 0 }], acks: -1 })
          ackedAtMs.push(performance.now())
          break
        } catch {
          failedSends++
          if (stop) return
          producer.clearMetadata()
          await sleep(PROBE_INTERVAL_MS)
        }
      }
      await sleep(PROBE_INTERVAL_MS)
    }
  })()
  try {
    await sleep(SETTLE_MS)
    const before = await partition0(daemon, topic)
    const killAtMs = performance.now()
    check(await sluice(['broker', 'kill', String(before.leader), ...(clean ? ['--clean'] : []), '--json'], { env: daemon.env }), 'sluice broker kill')
    // Wait for acknowledgements to flow again, well past the pause.
    const ackedBefore = ackedAtMs.filter((t) => t < killAtMs).length
    const deadline = performance.now() + 60_000
    while (ackedAtMs.filter((t) => t > killAtMs).length < 50) {
      if (performance.now() > deadline) throw new Error(`failover (${clean ? 'clean' : 'hard'} kill): partition 0 took no write for 60 s`)
      await sleep(50)
    }
    let unavailableMs = 0
    for (let i = Math.max(1, ackedBefore); i < ackedAtMs.length; i++) unavailableMs = Math.max(unavailableMs, ackedAtMs[i] - ackedAtMs[i - 1])
    const after = await partition0(daemon, topic)
    check(await sluice(['broker', 'start', String(before.leader), '--json'], { env: daemon.env }), 'sluice broker start')
    while ((await partition0(daemon, topic)).isr.length < 3) {
      if (performance.now() > deadline) throw new Error(`broker ${before.leader} did not rejoin the ISR`)
      await sleep(100)
    }
    return { clean, unavailableMs, from: before.leader, to: after.leader, failedSends }
  } finally {
    stop = true
    await probing
    await producer.close().catch(() => undefined)
  }
}
