#!/usr/bin/env node
/**
 * `npm run bench`: sluice against kcat and librdkafka's in-memory mock cluster, side by side, on
 * a fresh 3-broker daemon (temp home, free ports, stopped at the end even on failure). Produce runs
 * into replication-3 topics (the default) and, beside them, replication-1 ones; the last steps
 * measure failover unavailability for a clean and a hard kill (bench/lib/failover.js).
 *
 *   npm run bench                       # 1,000,000 records (what docs/performance.md reports)
 *   node bench/run.js --quick           # 100,000 records, shorter latency run: a smoke test
 *   node bench/run.js --records 300000 --latency-seconds 5 --startup-runs 3
 *   node bench/run.js --rounds 3        # throughput steps 3 times, interleaved; best of each kept
 *   node bench/run.js --only tail       # only the `sluice tail` step (bench/lib/tail.js): CPU at 50,000 rec/s
 *   node bench/run.js --only tail --tail-filter 'value.customer == "c-7"'   # the same with a --filter
 *   node bench/run.js --only partitions # idle CPU, RSS, creation and restart time with 1,000 and 10,000 partitions
 *   node bench/run.js --only partitions --partition-counts 1000 --idle-seconds 5
 *   node bench/run.js --only startup    # one short CLI call (produce 1 record, consume --exit, topic list) beside kcat
 *   node bench/run.js --only startup --startup-runs 9
 *
 * Prints a table (targets as PASS/MISS) and writes the figures to bench/results/<timestamp>.json.
 * A missed target is not a failure; a step that fails (a tool exits non-zero, a count is wrong)
 * exits 1. See docs/performance.md. Where the time goes: bench/profile.js. The storage micro bench
 * (LevelDB alone, no network) is bench/storage.mjs.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { BenchDaemon, cpuOf, memoryOf, REPO_ROOT } from './lib/daemon.js'
import { writeLines } from './lib/data.js'
import { measureLatency } from './lib/latency.js'
import { evaluateTargets, formatReport } from './lib/report.js'
import { measureFailover } from './lib/failover.js'
import { createTopic } from './lib/topics.js'
import { formatTail, measureTail } from './lib/tail.js'
import { formatPartitions, measurePartitions } from './lib/partitions.js'
import { formatStartupCommands, measureStartupCommands } from './lib/startup.js'
import {
  consumeKcat,
  consumeSluice,
  PARTITIONS,
  produceKcatMock,
  produceKcatSluice,
  produceSluice,
  sluiceHas,
} from './lib/throughput.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    records: { type: 'string' },
    'latency-seconds': { type: 'string' },
    'startup-runs': { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    'tail-filter': { type: 'string' },
    'partition-counts': { type: 'string' },
    'idle-seconds': { type: 'string' },
  },
})
const ONLY = ['tail', 'partitions', 'startup']
if (args.only !== undefined && !ONLY.includes(args.only)) {
  process.stderr.write(`bench: --only takes: ${ONLY.join(', ')}\n`)
  process.exit(2)
}
const int = (v, fallback) => (v === undefined ? fallback : Number.parseInt(v, 10))
const RECORDS = int(args.records, args.quick ? 100_000 : 1_000_000)
const LATENCY_SECONDS = int(args['latency-seconds'], args.quick ? 4 : 10)
const STARTUP_RUNS = int(args['startup-runs'], args.quick ? 3 : 5)
const ROUNDS = int(args.rounds, 1)
for (const [name, v] of Object.entries({ records: RECORDS, 'latency-seconds': LATENCY_SECONDS, 'startup-runs': STARTUP_RUNS, rounds: ROUNDS })) {
  if (!Number.isSafeInteger(v) || v < 1) {
    process.stderr.write(`bench: --${name} must be a positive integer\n`)
    process.exit(2)
  }
}

const log = (msg) => process.stderr.write(`bench: ${msg}\n`)

function kcatVersion() {
  try {
    const text = execFileSync('kcat', ['-V'], { encoding: 'utf8' })
    const kcat = /Version (\S+)/.exec(text)?.[1]
    const rdkafka = /librdkafka (\S+)/.exec(text)?.[1]
    return `kcat ${kcat} (librdkafka ${rdkafka})`
  } catch {
    throw new Error('kcat is not installed (apt-get install -y kcat): the bench compares sluice with it')
  }
}

function gitRevision() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Time from `sluice daemon start` to ready, over several start/stop cycles of one home. */
async function measureStartup(runs, daemons) {
  const daemon = new BenchDaemon({ brokers: 3 })
  daemons.add(daemon)
  const runsMs = []
  const daemonReportedMs = []
  try {
    for (let i = 0; i < runs; i++) {
      runsMs.push(await daemon.start())
      daemonReportedMs.push(daemon.lastStartupMs)
      await daemon.stop()
    }
  } finally {
    await daemon.dispose()
    daemons.delete(daemon)
  }
  // runsMs: wall time of `sluice daemon start` (CLI start, spawn, wait for ready): what a user waits.
  // daemonReportedMs: the daemon process's own start-to-ready, from its log.
  return { runsMs, medianMs: median(runsMs), daemonReportedMs }
}

function hasTmux() {
  try {
    execFileSync('tmux', ['-V'])
    return true
  } catch {
    return false
  }
}

/** The tail step, on its own daemon (`--only tail`). */
async function mainTail(daemons) {
  const daemon = new BenchDaemon({ brokers: 3 })
  daemons.add(daemon)
  await daemon.start()
  log(`daemon pid ${daemon.pid} at ${daemon.bootstrap}`)
  log('tail: sluice tail in tmux and sluice consume --from latest at 50,000 rec/s')
  // Quoted for the shell of the tmux pane.
  const tailArgs = args['tail-filter'] === undefined ? [] : ['--filter', `'${args['tail-filter'].replace(/'/g, "'\\''")}'`]
  const tail = await measureTail(daemon, 'bench-tail', { tailArgs })
  await daemon.dispose()
  daemons.delete(daemon)
  const figures = { version: 1, date: new Date().toISOString(), revision: gitRevision(), machine: { cpus: os.cpus().length, node: process.version }, loadAverage: os.loadavg(), tail }
  console.log(tail.screen.trimEnd())
  console.log(formatTail(tail))
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results')
  fs.mkdirSync(resultsDir, { recursive: true })
  const out = path.join(resultsDir, `tail-${figures.date.replace(/[:.]/g, '-')}.json`)
  fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n')
  log(`figures written to ${path.relative(process.cwd(), out)}`)
}

/** The partitions step (`--only partitions`): what many idle partitions cost, on fresh daemons. */
async function mainPartitions(daemons) {
  const counts = (args['partition-counts'] ?? '1000,10000').split(',').map((s) => Number.parseInt(s, 10))
  const idleSeconds = int(args['idle-seconds'], 10)
  if (counts.some((n) => !Number.isSafeInteger(n) || n < 1) || !Number.isSafeInteger(idleSeconds) || idleSeconds < 1) {
    process.stderr.write('bench: --partition-counts takes positive integers (1000,10000), --idle-seconds a positive integer\n')
    process.exit(2)
  }
  const results = []
  for (const count of counts) results.push(await measurePartitions(count, { idleSeconds, log, daemons }))
  const figures = { version: 1, date: new Date().toISOString(), revision: gitRevision(), machine: { cpus: os.cpus().length, node: process.version }, loadAverage: os.loadavg(), partitions: results }
  console.log(formatPartitions(results))
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results')
  fs.mkdirSync(resultsDir, { recursive: true })
  const out = path.join(resultsDir, `partitions-${figures.date.replace(/[:.]/g, '-')}.json`)
  fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n')
  log(`figures written to ${path.relative(process.cwd(), out)}`)
}

/** The start-up step alone (`--only startup`), on its own daemon. */
async function mainStartup(daemons, workDir) {
  const daemon = new BenchDaemon({ brokers: 3 })
  daemons.add(daemon)
  await daemon.start()
  log(`daemon pid ${daemon.pid} at ${daemon.bootstrap}`)
  const startupCommands = await measureStartupCommands(daemon, { runs: STARTUP_RUNS, workDir, log })
  await daemon.dispose()
  daemons.delete(daemon)
  const figures = { version: 1, date: new Date().toISOString(), revision: gitRevision(), machine: { cpus: os.cpus().length, node: process.version, kcat: kcatVersion() }, loadAverage: os.loadavg(), startupCommands }
  console.log(formatStartupCommands(startupCommands))
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results')
  fs.mkdirSync(resultsDir, { recursive: true })
  const out = path.join(resultsDir, `startup-${figures.date.replace(/[:.]/g, '-')}.json`)
  fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n')
  log(`figures written to ${path.relative(process.cwd(), out)}`)
}

async function main(daemons, workDir) {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'commands', 'daemon', 'start.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)')
  }
  if (args.only === 'tail') return mainTail(daemons)
  if (args.only === 'partitions') return mainPartitions(daemons)
  if (args.only === 'startup') return mainStartup(daemons, workDir)
  const figures = {
    version: 1,
    date: new Date().toISOString(),
    revision: gitRevision(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      kcat: kcatVersion(),
    },
    loadAverage: { start: os.loadavg() },
    records: RECORDS,
    rounds: ROUNDS,
    partitions: PARTITIONS,
    produce: {},
    consume: {},
    skipped: {},
    // Failures found after a step produced its figures (e.g. records lost): reported, then exit 1.
    problems: [],
  }

  const file = path.join(workDir, 'lines.jsonl')
  const data = writeLines(file, RECORDS)
  figures.avgLineBytes = data.avgLineBytes
  log(`${RECORDS} lines (${(data.bytes / 1e6).toFixed(1)} MB) in ${file}`)

  log(`daemon start/stop x${STARTUP_RUNS}`)
  figures.startup = await measureStartup(STARTUP_RUNS, daemons)

  const daemon = new BenchDaemon({ brokers: 3 })
  daemons.add(daemon)
  await daemon.start()
  log(`daemon pid ${daemon.pid} at ${daemon.bootstrap}, home ${daemon.home}`)
  const memorySteps = {}
  // What each step cost the daemon in CPU: main thread (JavaScript) and its other threads,
  // averaged over the rounds.
  const daemonCpu = (figures.daemonCpuMs = {})
  const runs = (figures.runs = {})
  const step = async (key, name, fn) => {
    log(name)
    const before = cpuOf(daemon.pid)
    const result = await fn()
    const after = cpuOf(daemon.pid)
    const share = key === 'latency' ? 1 : ROUNDS
    const cpu = (daemonCpu[key] ??= { mainMs: 0, otherMs: 0 })
    cpu.mainMs += (after.mainMs - before.mainMs) / share
    cpu.otherMs += (after.otherMs - before.otherMs) / share
    memorySteps[key] = memoryOf(daemon.pid).peakMB
    return result
  }
  /** A throughput step of one round; each figure is the best (fastest) of the rounds. */
  const measured = async (group, name, key, label, fn) => {
    const r = await step(key, label, fn)
    ;(runs[key] ??= []).push(r)
    if (!figures[group][name] || r.recordsPerSec > figures[group][name].recordsPerSec) figures[group][name] = r
  }

  // Latency first, on the fresh daemon: after the bulk loads below, LevelDB compacts several
  // hundred MB per broker for a while, and on two cores that compaction, not the request path,
  // would decide the tail (measured: p99 above 1 s). docs/performance.md has the figures.
  figures.latency = await step('latency', `latency: ${LATENCY_SECONDS} s at 10,000 rec/s`, () =>
    measureLatency(daemon, 'bench-latency', { measureMs: LATENCY_SECONDS * 1000 }),
  )
  if (figures.latency.missing > 0) {
    figures.problems.push(`latency: ${figures.latency.missing} of ${figures.latency.sent} records never reached the consumer`)
  }
  // One short CLI call each (produce one record, consume a small topic, list topics), beside kcat.
  figures.startupCommands = await step('startupCommands', `startup: one short CLI call x${STARTUP_RUNS}, beside kcat`, () =>
    measureStartupCommands(daemon, { runs: STARTUP_RUNS, workDir, log }),
  )
  const hasProduce = sluiceHas('produce')
  const hasConsume = sluiceHas('consume')
  if (!hasProduce) figures.skipped.produce = '`sluice produce` is not in this build'
  if (!hasConsume) figures.skipped.consume = '`sluice consume` is not in this build'
  for (const why of Object.values(figures.skipped)) log(`skipped: ${why}`)
  // Rounds interleave the tools, so that a noisy neighbour on a shared machine hits them alike.
  for (let round = 1; round <= ROUNDS; round++) {
    const tag = ROUNDS > 1 ? ` (round ${round}/${ROUNDS})` : ''
    const kcatTopic = `bench-kcat-${round}`
    await measured('produce', 'kcatMock', 'produceKcatMock', `produce: kcat -> mock${tag}`, () => produceKcatMock(file, RECORDS))
    await createTopic(daemon.bootstrap, kcatTopic, PARTITIONS)
    await measured('produce', 'kcatSluice', 'produceKcatSluice', `produce: kcat -> sluice${tag}`, () =>
      produceKcatSluice(daemon, kcatTopic, file, RECORDS),
    )
    if (hasProduce) {
      await createTopic(daemon.bootstrap, `bench-sluice-${round}`, PARTITIONS)
      await measured('produce', 'sluice', 'produceSluice', `produce: sluice produce${tag}`, () =>
        produceSluice(daemon, `bench-sluice-${round}`, file, RECORDS),
      )
    }
    // Replication 1 beside the default 3 (both acks=all): what replication costs a producer.
    await createTopic(daemon.bootstrap, `bench-kcat-rf1-${round}`, PARTITIONS, 1)
    await measured('produce', 'kcatSluiceRf1', 'produceKcatSluiceRf1', `produce: kcat -> sluice, replication 1${tag}`, () =>
      produceKcatSluice(daemon, `bench-kcat-rf1-${round}`, file, RECORDS),
    )
    if (hasProduce) {
      await createTopic(daemon.bootstrap, `bench-sluice-rf1-${round}`, PARTITIONS, 1)
      await measured('produce', 'sluiceRf1', 'produceSluiceRf1', `produce: sluice produce, replication 1${tag}`, () =>
        produceSluice(daemon, `bench-sluice-rf1-${round}`, file, RECORDS),
      )
    }
    // Every consumer reads the topic kcat wrote: the same batches, whichever producer is missing.
    await measured('consume', 'kcat', 'consumeKcat', `consume: kcat -C -e -J${tag}`, () => consumeKcat(daemon, kcatTopic, RECORDS))
    await measured('consume', 'kcatPrefetch', 'consumeKcatPrefetch', `consume: kcat -C -e -J, queued.min.messages raised${tag}`, () =>
      consumeKcat(daemon, kcatTopic, RECORDS, { prefetchAll: true }),
    )
    if (hasConsume) {
      await measured('consume', 'sluice', 'consumeSluice', `consume: sluice consume --exit${tag}`, () =>
        consumeSluice(daemon, kcatTopic, RECORDS),
      )
    }
  }
  for (const key of ['produceKcatMock', 'produceKcatSluice', 'produceSluice', 'produceKcatSluiceRf1', 'produceSluiceRf1', 'consumeKcat', 'consumeKcatPrefetch', 'consumeSluice']) {
    if (ROUNDS > 1 && runs[key]) log(`${key}: ${runs[key].map((r) => Math.round(r.recordsPerSec)).join(', ')} rec/s`)
  }
  // sluice tail at 50,000 records/s in a real terminal, against consume on the same stream.
  if (sluiceHas('tail') && hasTmux()) {
    figures.tail = await step('tail', 'tail: sluice tail in tmux and sluice consume --from latest at 50,000 rec/s', () => measureTail(daemon, 'bench-tail'))
  } else {
    figures.skipped.tail = sluiceHas('tail') ? 'tmux is not installed' : '`sluice tail` is not in this build'
  }
  // Failover last: it kills and restarts brokers. Default broker configs (session timeout 9 s).
  figures.failover = {}
  for (const clean of [true, false]) {
    const name = clean ? 'clean' : 'hard'
    figures.failover[name] = await step(`failover${clean ? 'Clean' : 'Hard'}`, `failover: ${clean ? 'clean' : 'hard'} kill of partition 0's leader`, () =>
      measureFailover(daemon, `bench-failover-${name}`, { clean }),
    )
  }
  figures.memory = { ...memoryOf(daemon.pid), peakMBAfterStep: memorySteps }
  await daemon.dispose()
  daemons.delete(daemon)

  figures.loadAverage.end = os.loadavg()
  figures.targets = evaluateTargets(figures)
  console.log(formatReport(figures, figures.targets))
  console.log(`\n${formatStartupCommands(figures.startupCommands)}`)
  if (figures.tail) console.log(`\n${formatTail(figures.tail)}`)
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results')
  fs.mkdirSync(resultsDir, { recursive: true })
  const out = path.join(resultsDir, `${figures.date.replace(/[:.]/g, '-')}.json`)
  fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n')
  log(`figures written to ${path.relative(process.cwd(), out)}`)
  for (const p of figures.problems) log(`FAILED: ${p}`)
  if (figures.problems.length > 0) process.exitCode = 1
}

const daemons = new Set()
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-data-'))
const cleanup = async () => {
  await Promise.all([...daemons].map((d) => d.dispose()))
  fs.rmSync(workDir, { recursive: true, force: true })
}
process.once('SIGINT', () => {
  log('interrupted: stopping the daemon')
  void cleanup().finally(() => process.exit(130))
})
try {
  await main(daemons, workDir)
  await cleanup()
} catch (err) {
  log(`FAILED: ${err instanceof Error ? err.message : String(err)}`)
  await cleanup()
  process.exitCode = 1
}
