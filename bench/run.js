#!/usr/bin/env node
/**
 * `npm run bench`: sluice against kcat and librdkafka's in-memory mock cluster, side by side, on
 * a fresh 3-broker daemon (temp home, free ports, stopped at the end even on failure). Its idle
 * memory first, then produce-to-consume latency at 10,000 and 50,000 records/s; produce runs into
 * replication-3 topics (the default) and, beside them, replication-1 ones; then kcat into a second
 * daemon started with `--fsync` (a row of its own, skipped while the build has no such flag); the
 * last steps measure failover unavailability for a clean and a hard kill (bench/lib/failover.js),
 * and the daemon's memory idle again and at its peak.
 *
 *   npm run bench                       # 1,000,000 records (what docs/performance.md reports)
 *   node bench/run.js --quick           # 100,000 records, shorter latency run: a smoke test
 *   node bench/run.js --records 300000 --latency-seconds 5 --startup-runs 3
 *   node bench/run.js --rounds 3        # throughput steps 3 times, interleaved; best of each kept
 *   node bench/run.js --only produce --records 100000 [--rounds 3]   # the write path alone: kcat -> mock,
 *                                       #   kcat -> sluice RF 3 and RF 1, sluice produce, the --fsync row; memory
 *   node bench/run.js --only latency --latency-seconds 3   # latency at 10,000 and 50,000 rec/s, fresh daemon
 *   node bench/run.js --only tail       # only the `sluice tail` step (bench/lib/tail.js): CPU at 50,000 rec/s
 *   node bench/run.js --only tail --tail-filter 'value.customer == "c-7"'   # the same with a --filter
 *   node bench/run.js --only partitions # idle CPU, RSS, creation and restart time with 1,000 and 10,000 partitions
 *   node bench/run.js --only partitions --partition-counts 1000 --idle-seconds 5
 *   node bench/run.js --only startup    # one short CLI call (produce 1 record, consume --exit, topic list) beside kcat
 *   node bench/run.js --only startup --startup-runs 9
 *
 * Prints a table (targets as PASS/MISS) and writes the figures to bench/results/<timestamp>.json
 * (`--only X`: X-<timestamp>.json).
 * A missed target is not a failure; a step that fails (a tool exits non-zero, a count is wrong)
 * exits 1. See docs/performance.md. Where the time goes: bench/profile.js. The storage micro bench
 * (LevelDB alone, no network) is bench/storage.mjs.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { BenchDaemon, REPO_ROOT } from './lib/daemon.js'
import { writeLines } from './lib/data.js'
import { evaluateTargets, formatReport } from './lib/report.js'
import { measureFailover } from './lib/failover.js'
import { formatTail, measureTail } from './lib/tail.js'
import { formatPartitions, measurePartitions } from './lib/partitions.js'
import { formatStartupCommands, measureStartupCommands } from './lib/startup.js'
import { baseFigures, BenchSession, gitRevision, kcatVersion, writeFigures } from './lib/session.js'
import { PARTITIONS, sluiceHas } from './lib/throughput.js'

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
const ONLY = ['produce', 'latency', 'tail', 'partitions', 'startup']
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
  const out = writeFigures('tail-', figures)
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
  const out = writeFigures('partitions-', figures)
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
  const out = writeFigures('startup-', figures)
  log(`figures written to ${path.relative(process.cwd(), out)}`)
}

/** The input file of the throughput steps: RECORDS lines of about 100 bytes. */
function inputLines(figures, workDir) {
  const file = path.join(workDir, 'lines.jsonl')
  const data = writeLines(file, RECORDS)
  Object.assign(figures, { records: RECORDS, rounds: ROUNDS, partitions: PARTITIONS, avgLineBytes: data.avgLineBytes })
  log(`${RECORDS} lines (${(data.bytes / 1e6).toFixed(1)} MB) in ${file}`)
  return file
}

/** Prints the report of a kcat-based run, writes its JSON, and exits 1 if a step lost records. */
function finish(figures, prefix, extra = []) {
  figures.loadAverage.end = os.loadavg()
  figures.targets = evaluateTargets(figures)
  console.log(formatReport(figures, figures.targets))
  for (const text of extra) console.log(`\n${text}`)
  log(`figures written to ${path.relative(process.cwd(), writeFigures(prefix, figures))}`)
  for (const p of figures.problems) log(`FAILED: ${p}`)
  if (figures.problems.length > 0) process.exitCode = 1
}

/** `--only produce`: the write path alone, on one daemon, and the --fsync row on its own. */
async function mainProduce(daemons, workDir) {
  const figures = baseFigures('produce')
  const file = inputLines(figures, workDir)
  const session = new BenchSession({ figures, daemons, log })
  await session.startMain()
  await session.throughputRounds({ file, records: RECORDS, rounds: ROUNDS, full: false })
  await session.fsyncRow({ file, records: RECORDS })
  await session.stopMain()
  finish(figures, 'produce-')
}

/** `--only latency`: latency at 10,000 and 50,000 records/s on a fresh daemon. */
async function mainLatency(daemons) {
  const figures = baseFigures('latency')
  const session = new BenchSession({ figures, daemons, log })
  await session.startMain()
  await session.latencySteps(LATENCY_SECONDS)
  await session.stopMain()
  finish(figures, 'latency-')
}

async function main(daemons, workDir) {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'commands', 'daemon', 'start.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)')
  }
  if (args.only === 'produce') return mainProduce(daemons, workDir)
  if (args.only === 'latency') return mainLatency(daemons)
  if (args.only === 'tail') return mainTail(daemons)
  if (args.only === 'partitions') return mainPartitions(daemons)
  if (args.only === 'startup') return mainStartup(daemons, workDir)
  const figures = baseFigures()
  const file = inputLines(figures, workDir)

  log(`daemon start/stop x${STARTUP_RUNS}`)
  figures.startup = await measureStartup(STARTUP_RUNS, daemons)

  const session = new BenchSession({ figures, daemons, log })
  await session.startMain()
  await session.latencySteps(LATENCY_SECONDS)
  // One short CLI call each (produce one record, consume a small topic, list topics), beside kcat.
  figures.startupCommands = await session.step('startupCommands', `startup: one short CLI call x${STARTUP_RUNS}, beside kcat`, (d) =>
    measureStartupCommands(d, { runs: STARTUP_RUNS, workDir, log }),
  )
  await session.throughputRounds({ file, records: RECORDS, rounds: ROUNDS, full: true })
  await session.fsyncRow({ file, records: RECORDS })
  // sluice tail at 50,000 records/s in a real terminal, against consume on the same stream.
  if (sluiceHas('tail') && hasTmux()) {
    figures.tail = await session.step('tail', 'tail: sluice tail in tmux and sluice consume --from latest at 50,000 rec/s', (d) => measureTail(d, 'bench-tail'))
  } else {
    figures.skipped.tail = sluiceHas('tail') ? 'tmux is not installed' : '`sluice tail` is not in this build'
  }
  // Failover last: it kills and restarts brokers. Default broker configs (session timeout 9 s).
  figures.failover = {}
  for (const clean of [true, false]) {
    const name = clean ? 'clean' : 'hard'
    figures.failover[name] = await session.step(`failover${clean ? 'Clean' : 'Hard'}`, `failover: ${name} kill of partition 0's leader`, (d) =>
      measureFailover(d, `bench-failover-${name}`, { clean }),
    )
  }
  await session.stopMain()
  finish(figures, '', [formatStartupCommands(figures.startupCommands), ...(figures.tail ? [formatTail(figures.tail)] : [])])
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
