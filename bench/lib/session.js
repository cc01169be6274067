/**
 * What the full run and `--only produce|latency` share: the daemon under test with its idle and
 * peak memory, steps timed with the CPU of the daemon they ran on, the latency steps, the rounds
 * of throughput steps, the `--fsync` row on its own daemon, and the figures written as JSON.
 * One copy of each, so that a quick mode measures exactly what the full run does.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BenchDaemon, cpuOf, idleMemoryOf, memoryOf, MemorySampler, REPO_ROOT } from './daemon.js'
import { measureLatency } from './latency.js'
import { createTopic } from './topics.js'
import {
  consumeKcat,
  consumeSluice,
  PARTITIONS,
  produceKcatMock,
  produceKcatSluice,
  produceSluice,
  sluiceHas,
  sluiceHasFlag,
} from './throughput.js'

// Idle memory: the fresh daemon after its start has settled, and again after the last step once
// the writes have been answered (LevelDB may still be compacting: the figure is for information).
const IDLE_START_SECONDS = 2
const IDLE_END_SECONDS = 5

export function kcatVersion() {
  try {
    const text = execFileSync('kcat', ['-V'], { encoding: 'utf8' })
    const kcat = /Version (\S+)/.exec(text)?.[1]
    const rdkafka = /librdkafka (\S+)/.exec(text)?.[1]
    return `kcat ${kcat} (librdkafka ${rdkafka})`
  } catch {
    throw new Error('kcat is not installed (apt-get install -y kcat): the bench compares sluice with it')
  }
}

export function gitRevision() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

/** The figures every kcat-based run starts with: when, which build, which machine. */
export function baseFigures(only) {
  return {
    version: 1,
    ...(only ? { only } : {}),
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
    skipped: {},
    // Failures found after a step produced its figures (e.g. records lost): reported, then exit 1.
    problems: [],
  }
}

/** Writes `figures` to bench/results/<prefix><time>.json; returns the path. */
export function writeFigures(prefix, figures) {
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results')
  fs.mkdirSync(resultsDir, { recursive: true })
  const out = path.join(resultsDir, `${prefix}${figures.date.replace(/[:.]/g, '-')}.json`)
  fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n')
  return out
}

export class BenchSession {
  /** `daemons`: the set the caller stops on failure or Ctrl-C; every daemon started here joins it. */
  constructor({ figures, daemons, log }) {
    this.figures = figures
    this.daemons = daemons
    this.log = log
    this.daemon = undefined
    // The main daemon's peak memory after each step.
    this.peakMBAfterStep = {}
    this.peakAnonMBByStep = {}
    // What each step cost its daemon in CPU: main thread (JavaScript) and its other threads,
    // averaged over the rounds.
    figures.daemonCpuMs ??= {}
    figures.runs ??= {}
  }

  async startDaemon(opts = {}) {
    const daemon = new BenchDaemon({ brokers: 3, ...opts })
    this.daemons.add(daemon)
    await daemon.start()
    return daemon
  }

  async disposeDaemon(daemon) {
    await daemon.dispose()
    this.daemons.delete(daemon)
  }

  /** The daemon under test: 3 brokers, fresh; its idle memory is taken before any step. */
  async startMain() {
    this.daemon = await this.startDaemon()
    this.log(`daemon pid ${this.daemon.pid} at ${this.daemon.bootstrap}, home ${this.daemon.home}; idle ${IDLE_START_SECONDS} s`)
    this.figures.memory = { idle: await idleMemoryOf(this.daemon.pid, IDLE_START_SECONDS) }
    this.sampler = new MemorySampler(this.daemon.pid)
  }

  /** After the last step: idle memory again, the peak through the run, and the daemon stopped. */
  async stopMain() {
    this.log(`idle ${IDLE_END_SECONDS} s`)
    const idleEnd = await idleMemoryOf(this.daemon.pid, IDLE_END_SECONDS)
    this.sampler.stop()
    Object.assign(this.figures.memory, memoryOf(this.daemon.pid), {
      idleEnd,
      peakMBAfterStep: this.peakMBAfterStep,
      peakAnonMB: this.sampler.peakAnonMB,
      peakFileMB: this.sampler.peakFileMB,
      peakAnonMBByStep: this.peakAnonMBByStep,
    })
    await this.disposeDaemon(this.daemon)
    this.daemon = undefined
  }

  /** One step on `daemon` (the main one by default); its CPU is divided by `share` (the rounds). */
  async step(key, label, fn, { daemon = this.daemon, share = 1 } = {}) {
    this.log(label)
    const before = cpuOf(daemon.pid)
    const result = await fn(daemon)
    const after = cpuOf(daemon.pid)
    const cpu = (this.figures.daemonCpuMs[key] ??= { mainMs: 0, otherMs: 0 })
    cpu.mainMs += (after.mainMs - before.mainMs) / share
    cpu.otherMs += (after.otherMs - before.otherMs) / share
    if (daemon === this.daemon) {
      this.peakMBAfterStep[key] = memoryOf(daemon.pid).peakMB
      this.sampler.sample(daemon.pid)
      this.peakAnonMBByStep[key] = this.sampler.takeStepPeak()
    }
    return result
  }

  /** A throughput step of one round; each figure is the best (fastest) of the rounds. */
  async measured(group, name, key, label, fn, opts = {}) {
    const f = this.figures
    const r = await this.step(key, label, fn, opts)
    ;(f.runs[key] ??= []).push(r)
    f[group] ??= {}
    if (!f[group][name] || r.recordsPerSec > f[group][name].recordsPerSec) f[group][name] = r
  }

  /**
   * Latency at 10,000 and then 50,000 records/s, each on a new topic. First on the fresh daemon:
   * after the bulk loads, LevelDB compacts several hundred MB per broker for a while, and on two
   * cores that compaction, not the request path, would decide the tail (measured: p99 above 1 s).
   */
  async latencySteps(seconds) {
    for (const [name, topic, ratePerSec] of [['latency', 'bench-latency', 10_000], ['latency50k', 'bench-latency-50k', 50_000]]) {
      const l = await this.step(name, `latency: ${seconds} s at ${ratePerSec.toLocaleString('en-US')} rec/s`, (d) =>
        measureLatency(d, topic, { ratePerSec, measureMs: seconds * 1000 }),
      )
      this.figures[name] = l
      if (l.missing > 0) this.figures.problems.push(`${name}: ${l.missing} of ${l.sent} records never reached the consumer`)
    }
  }

  /**
   * `rounds` rounds of the throughput steps, interleaved so that a noisy neighbour on a shared
   * machine hits the tools alike: kcat into the mock, kcat into sluice at replication 3 and 1 (side
   * by side: their ratio is a target), `sluice produce`; with `full`, also `sluice produce` at
   * replication 1 and the consumers, which read the topic kcat wrote.
   */
  async throughputRounds({ file, records, rounds, full }) {
    const f = this.figures
    const hasProduce = sluiceHas('produce')
    const hasConsume = full && sluiceHas('consume')
    if (!hasProduce) f.skipped.produce = '`sluice produce` is not in this build'
    if (full && !hasConsume) f.skipped.consume = '`sluice consume` is not in this build'
    for (const why of Object.values(f.skipped)) this.log(`skipped: ${why}`)
    f.steps = ['produceKcatMock', 'produceKcatSluice', 'produceSluice', 'produceKcatSluiceRf1']
    if (full) f.steps.push('produceSluiceRf1', 'consumeKcat', 'consumeKcatPrefetch', 'consumeSluice')
    const bootstrap = this.daemon.bootstrap
    const opts = { share: rounds }
    for (let round = 1; round <= rounds; round++) {
      const tag = rounds > 1 ? ` (round ${round}/${rounds})` : ''
      const kcatTopic = `bench-kcat-${round}`
      await this.measured('produce', 'kcatMock', 'produceKcatMock', `produce: kcat -> mock${tag}`, () => produceKcatMock(file, records), opts)
      await createTopic(bootstrap, kcatTopic, PARTITIONS)
      await this.measured('produce', 'kcatSluice', 'produceKcatSluice', `produce: kcat -> sluice${tag}`, (d) =>
        produceKcatSluice(d, kcatTopic, file, records), opts)
      // Replication 1 beside the default 3 (both acks=all): what replication costs a producer.
      await createTopic(bootstrap, `bench-kcat-rf1-${round}`, PARTITIONS, 1)
      await this.measured('produce', 'kcatSluiceRf1', 'produceKcatSluiceRf1', `produce: kcat -> sluice, replication 1${tag}`, (d) =>
        produceKcatSluice(d, `bench-kcat-rf1-${round}`, file, records), opts)
      if (hasProduce) {
        await createTopic(bootstrap, `bench-sluice-${round}`, PARTITIONS)
        await this.measured('produce', 'sluice', 'produceSluice', `produce: sluice produce${tag}`, (d) =>
          produceSluice(d, `bench-sluice-${round}`, file, records), opts)
      }
      if (!full) continue
      if (hasProduce) {
        await createTopic(bootstrap, `bench-sluice-rf1-${round}`, PARTITIONS, 1)
        await this.measured('produce', 'sluiceRf1', 'produceSluiceRf1', `produce: sluice produce, replication 1${tag}`, (d) =>
          produceSluice(d, `bench-sluice-rf1-${round}`, file, records), opts)
      }
      // Every consumer reads the topic kcat wrote: the same batches, whichever producer is missing.
      await this.measured('consume', 'kcat', 'consumeKcat', `consume: kcat -C -e -J${tag}`, (d) => consumeKcat(d, kcatTopic, records), opts)
      await this.measured('consume', 'kcatPrefetch', 'consumeKcatPrefetch', `consume: kcat -C -e -J, queued.min.messages raised${tag}`, (d) =>
        consumeKcat(d, kcatTopic, records, { prefetchAll: true }), opts)
      if (hasConsume) {
        await this.measured('consume', 'sluice', 'consumeSluice', `consume: sluice consume --exit${tag}`, (d) => consumeSluice(d, kcatTopic, records), opts)
      }
    }
    if (rounds > 1) {
      for (const key of f.steps) if (f.runs[key]) this.log(`${key}: ${f.runs[key].map((r) => Math.round(r.recordsPerSec)).join(', ')} rec/s`)
    }
    f.storageFloor = await this.storageFloor()
  }

  /**
   * What the replicas' writes of the kcat -> sluice steps (replication 3 and 1) cost without network
   * or request path (`bench/storage.mjs --floor`, in a process of its own with the daemon's
   * allocator settings): in LevelDB alone, and through sluice's storage layer. Beside kcat's own CPU
   * the first bounds the rate the machine's cores can carry (the report's ceilings).
   * Run while the daemon under test idles.
   */
  async storageFloor() {
    this.log('storage floor: bench/storage.mjs --floor (3 and 1 replicas, LevelDB alone and sluice\'s storage layer)')
    const { DAEMON_MALLOC } = await import(new URL('../../dist/client/daemon.js', import.meta.url).href)
    const out = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bench', 'storage.mjs'), '--floor'], {
      env: { ...DAEMON_MALLOC, ...process.env },
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    })
    const results = Object.values(JSON.parse(out).results)
    const find = (replicas, leveldbOnly) => results.find((r) => r.replicas === replicas && Boolean(r.leveldbOnly) === leveldbOnly)
    return { rf3: find(3, false), rf1: find(1, false), leveldbRf3: find(3, true), leveldbRf1: find(1, true) }
  }

  /**
   * kcat into sluice with every group commit synced (`daemon start --fsync`), replication 3,
   * acks=all, on a daemon of its own (its memory is not the main daemon's); skipped, with the
   * reason, while the build has no such flag.
   */
  async fsyncRow({ file, records }) {
    const f = this.figures
    f.steps = [...(f.steps ?? []), 'produceKcatSluiceFsync']
    if (!sluiceHasFlag(['daemon', 'start'], 'fsync')) {
      f.skipped.fsync = '`sluice daemon start --fsync` is not in this build'
      this.log(`skipped: ${f.skipped.fsync}`)
      return
    }
    const daemon = await this.startDaemon({ fsync: true })
    try {
      this.log(`--fsync daemon pid ${daemon.pid} at ${daemon.bootstrap}`)
      await createTopic(daemon.bootstrap, 'bench-fsync', PARTITIONS)
      await this.measured('produce', 'kcatSluiceFsync', 'produceKcatSluiceFsync', 'produce: kcat -> sluice, --fsync', (d) =>
        produceKcatSluice(d, 'bench-fsync', file, records), { daemon })
      f.memory.fsyncDaemon = memoryOf(daemon.pid)
    } finally {
      await this.disposeDaemon(daemon)
    }
  }
}
