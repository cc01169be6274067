/**
 * What many partitions cost an idle daemon (issue 11): for each count, on a fresh 3-broker daemon,
 * one topic of that many partitions (replication 3) is created through the admin client, then the
 * daemon is left alone and its CPU (main thread and other threads, as a share of one core) and RSS
 * are read from /proc over `idleSeconds`; then it is restarted on the same home and the time to
 * ready is measured, and the idle CPU measured again (a restarted home must be as quiet).
 */
import { Admin } from '@platformatic/kafka'
import { BenchDaemon, cpuOf, memoryOf } from './daemon.js'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Creates a topic with a request timeout long enough for a legitimately long creation. */
async function createLarge(bootstrap, name, partitions) {
  const admin = new Admin({ clientId: 'sluice-bench', bootstrapBrokers: [bootstrap], retries: 0, timeout: 120_000, requestTimeout: 180_000 })
  const started = performance.now()
  try {
    await admin.createTopics({ topics: [name], partitions, replicas: 3 })
  } finally {
    await admin.close()
  }
  return performance.now() - started
}

/** The daemon's CPU over `seconds` of doing nothing, as % of one core. */
async function idleCpu(pid, seconds) {
  const before = cpuOf(pid)
  const t0 = performance.now()
  await sleep(seconds * 1000)
  const after = cpuOf(pid)
  const wallMs = performance.now() - t0
  const pct = (ms) => Math.round((ms / wallMs) * 1000) / 10
  return { mainPct: pct(after.mainMs - before.mainMs), otherPct: pct(after.otherMs - before.otherMs), totalPct: pct(after.mainMs - before.mainMs + after.otherMs - before.otherMs) }
}

/**
 * One count: create, settle, idle CPU and memory, restart, idle again. `settleSeconds` lets the
 * creation's LevelDB writes and compactions finish before the idle window starts.
 */
export async function measurePartitions(count, { idleSeconds = 10, settleSeconds = 5, log = () => undefined, daemons } = {}) {
  const daemon = new BenchDaemon({ brokers: 3 })
  daemons?.add(daemon)
  try {
    await daemon.start()
    const baseline = await idleCpu(daemon.pid, idleSeconds)
    log(`partitions ${count}: empty daemon idle ${baseline.totalPct}% of a core; creating the topic`)
    const createMs = await createLarge(daemon.bootstrap, 'bench-partitions', count)
    log(`partitions ${count}: created in ${(createMs / 1000).toFixed(1)} s; settling ${settleSeconds} s, then idle ${idleSeconds} s`)
    await sleep(settleSeconds * 1000)
    const idle = await idleCpu(daemon.pid, idleSeconds)
    const memory = memoryOf(daemon.pid)
    log(`partitions ${count}: idle ${idle.totalPct}% of a core (main ${idle.mainPct}%), RSS ${Math.round(memory.rssMB)} MB; restarting`)
    const result = { partitions: count, replicationFactor: 3, brokers: 3, baseline, createMs, idle, memory }
    await daemon.stop()
    try {
      result.restartMs = await daemon.start()
    } catch (err) {
      // A home that cannot start again is the failure this step exists to catch: report it.
      result.restartError = err instanceof Error ? err.message : String(err)
      log(`partitions ${count}: RESTART FAILED: ${result.restartError}`)
      return result
    }
    result.daemonReportedRestartMs = daemon.lastStartupMs
    log(`partitions ${count}: restarted ready in ${(result.restartMs / 1000).toFixed(1)} s; settling, then idle ${idleSeconds} s`)
    await sleep(settleSeconds * 1000)
    result.idleAfterRestart = await idleCpu(daemon.pid, idleSeconds)
    result.memoryAfterRestart = memoryOf(daemon.pid)
    return result
  } finally {
    await daemon.dispose()
    daemons?.delete(daemon)
  }
}

export function formatPartitions(results) {
  const lines = ['partitions (3 brokers, RF 3)  create     idle CPU (main+other)   RSS      restart   idle after restart']
  for (const r of results) {
    lines.push(
      `${String(r.partitions).padStart(10)}                ${(r.createMs / 1000).toFixed(1).padStart(6)} s  ${String(r.idle.totalPct).padStart(6)}% (${r.idle.mainPct}+${r.idle.otherPct})` +
        `   ${Math.round(r.memory.rssMB).toString().padStart(5)} MB  ` +
        (r.restartError ? 'FAILED to restart' : `${(r.restartMs / 1000).toFixed(1).padStart(6)} s  ${String(r.idleAfterRestart.totalPct).padStart(6)}%`),
    )
  }
  return lines.join('\n')
}
