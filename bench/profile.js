#!/usr/bin/env node
/**
 * Where the time goes: runs each bench workload against a daemon under `node --cpu-prof` (and the
 * sluice CLI too, for `sluice produce` / `sluice consume`), then prints the daemon's CPU split
 * (main thread vs other threads) and the top functions and files of each profile.
 *
 *   npm run build && node bench/profile.js [--records 1000000] [--only produce-kcat,consume-sluice]
 *       [--top 20] [--out DIR] [--rate 10000]
 *
 * Scenarios: produce-kcat, produce-sluice, consume-kcat, consume-sluice, latency. Profiles are kept
 * in --out (default: a temp dir, printed) to open in Chrome DevTools or speedscope.
 *
 * --perf samples every thread of the daemon with Linux `perf` (when installed and allowed):
 * the V8 profile only sees JavaScript on the main thread, and on a busy machine it charges the time
 * the main thread waits for a CPU to whatever native call it was in (classic-level's `_write`,
 * `writev`), while perf shows what each thread really ran: LevelDB's write path in the libuv pool,
 * its compaction thread (snappy, CRC), V8's GC helpers, the kernel's TCP loopback. The daemon then
 * runs with --perf-basic-prof instead of --cpu-prof (the CLI keeps --cpu-prof).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { formatSummary, summarize } from './cpuprofile-summary.mjs'
import { BIN, cpuOf, REPO_ROOT, tempHome } from './lib/daemon.js'
import { writeLines } from './lib/data.js'
import { ForegroundDaemon } from './lib/foreground.js'
import { measureLatency } from './lib/latency.js'
import { spawn } from 'node:child_process'
import { check, run } from './lib/proc.js'
import { createTopic } from './lib/topics.js'
import { consumeKcat, PARTITIONS, produceKcatSluice } from './lib/throughput.js'

const SCENARIOS = ['produce-kcat', 'produce-sluice', 'consume-kcat', 'consume-sluice', 'latency']
const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    top: { type: 'string', default: '20' },
    out: { type: 'string' },
    perf: { type: 'boolean', default: false },
    // The latency scenario's rate (records/s).
    rate: { type: 'string', default: '10000' },
  },
})
const RECORDS = Number.parseInt(args.records, 10)
const TOP = Number.parseInt(args.top, 10)
const only = args.only ? args.only.split(',') : SCENARIOS
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`)
const outDir = args.out ? path.resolve(args.out) : fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-profile-'))
fs.mkdirSync(outDir, { recursive: true })
const log = (msg) => process.stderr.write(`profile: ${msg}\n`)

/** `node --cpu-prof bin/run.js ...`, the CLI profiled into `dir`. */
function profiledSluice(dir, args, opts) {
  return run(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, BIN, ...args], { cwd: REPO_ROOT, ...opts })
}

function printProfiles(title, files) {
  for (const file of files) {
    console.log(`\n--- ${title}: ${path.relative(process.cwd(), file)}`)
    console.log(formatSummary(summarize(JSON.parse(fs.readFileSync(file, 'utf8')), TOP)))
  }
}

/** `perf record` of every thread of `pid` until stop() (SIGINT makes perf write its file). */
function startPerf(pid, file) {
  const child = spawn('perf', ['record', '-F', '499', '-g', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise((resolve) => child.once('close', resolve))
  child.once('error', (err) => log(`perf: ${err.message}`))
  return {
    file,
    stop: async () => {
      child.kill('SIGINT')
      await exited
      if (!fs.existsSync(file)) log(`perf wrote nothing: ${stderr.trim()}`)
    },
  }
}

/** Per thread, then per symbol: where the daemon's CPU went, native code included. */
function printPerf(name, file) {
  if (!fs.existsSync(file)) return
  const report = (sort, limit) =>
    run('perf', ['report', '-i', file, '--no-children', '-s', sort, '-g', 'none', '--stdio', '--percent-limit', limit], { stdout: 'pipe' })
  return Promise.all([report('pid', '1'), report('pid,dso,sym', '0.7')]).then(([threads, symbols]) => {
    const keep = (text) => text.split('\n').filter((l) => /%/.test(l) && !l.startsWith('#')).join('\n')
    console.log(`\n--- ${name} daemon, perf (all threads; the main thread is the one named after the daemon's pid):`)
    console.log(keep(threads.stdout))
    console.log(keep(symbols.stdout))
  })
}

/** Fills `topic` with the bench lines through kcat on an unprofiled daemon (for consume scenarios). */
async function prefill(home, file, topic) {
  const d = new ForegroundDaemon({ home })
  try {
    await d.start()
    await createTopic(d.bootstrap, topic, PARTITIONS)
    await produceKcatSluice(d, topic, file, RECORDS)
    return d.port
  } finally {
    await d.stop()
  }
}

async function scenario(name, file) {
  const home = tempHome()
  const dir = path.join(outDir, name)
  const topic = 'bench'
  let port
  try {
    if (name.startsWith('consume')) port = await prefill(home, file, topic)
    // Under perf the V8 profiler stays off: its sampling thread and locks would be in the picture.
    const daemon = new ForegroundDaemon({ home, profileDir: path.join(dir, 'daemon'), perfMap: args.perf })
    await daemon.start(port)
    fs.mkdirSync(dir, { recursive: true })
    const perf = args.perf ? startPerf(daemon.pid, path.join(dir, 'perf.data')) : undefined
    const cpuBefore = cpuOf(daemon.pid)
    const started = performance.now()
    let detail = ''
    try {
      if (name === 'produce-kcat') {
        await createTopic(daemon.bootstrap, topic, PARTITIONS)
        await produceKcatSluice(daemon, topic, file, RECORDS)
      } else if (name === 'produce-sluice') {
        await createTopic(daemon.bootstrap, topic, PARTITIONS)
        const produceArgs = ['produce', topic, '--bootstrap-server', daemon.bootstrap, '--acks', 'all']
        check(await profiledSluice(path.join(dir, 'cli'), produceArgs, { env: daemon.env, stdinFile: file }), 'sluice produce')
      } else if (name === 'consume-kcat') {
        await consumeKcat(daemon, topic, RECORDS, { prefetchAll: true })
      } else if (name === 'consume-sluice') {
        const consumeArgs = ['consume', topic, '--bootstrap-server', daemon.bootstrap, '--from', 'earliest', '--exit']
        const r = check(await profiledSluice(path.join(dir, 'cli'), consumeArgs, { env: daemon.env, stdout: 'count' }), 'sluice consume')
        if (r.lines !== RECORDS) throw new Error(`sluice consume: ${r.lines} records, expected ${RECORDS}`)
      } else if (name === 'latency') {
        const l = await measureLatency(daemon, topic, { measureMs: 10_000, ratePerSec: Number.parseInt(args.rate, 10) })
        detail = `, p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms`
      }
    } finally {
      const wallMs = performance.now() - started
      const cpu = cpuOf(daemon.pid)
      await perf?.stop()
      await daemon.stop()
      console.log(
        `\n=== ${name}: ${(wallMs / 1000).toFixed(2)} s wall${detail}; daemon CPU: main thread ${((cpu.mainMs - cpuBefore.mainMs) / 1000).toFixed(2)} s, ` +
          `other threads ${((cpu.otherMs - cpuBefore.otherMs) / 1000).toFixed(2)} s; load average ${os.loadavg()[0].toFixed(1)}`,
      )
    }
    if (perf) await printPerf(name, perf.file)
    printProfiles(`${name} daemon`, daemon.profiles())
    const cliDir = path.join(dir, 'cli')
    if (fs.existsSync(cliDir)) printProfiles(`${name} CLI`, fs.readdirSync(cliDir).map((f) => path.join(cliDir, f)))
  } finally {
    fs.rmSync(home, { recursive: true, force: true })
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-profile-data-'))
try {
  const file = path.join(work, 'lines.jsonl')
  writeLines(file, RECORDS)
  for (const name of only) {
    log(name)
    await scenario(name, file)
  }
  log(`profiles kept in ${outDir}`)
} catch (err) {
  log(`FAILED: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
