/**
 * The daemon under test, driven through the real CLI (`sluice daemon start|status|stop`), each in
 * its own temp home on free ports. stop() never throws and kills the process if the graceful stop
 * fails, so a failed bench leaves nothing running.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePortRange } from './ports.js'
import { check, run } from './proc.js'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(REPO_ROOT, 'bin', 'run.js')

/** The bench's environment without any SLUICE_* variable, plus `extra`. */
export function cleanEnv(extra = {}) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLUICE_')) env[k] = v
  return { ...env, ...extra }
}

/** `node bin/run.js ...args`, timed. */
export function sluice(args, opts = {}) {
  return run(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, ...opts })
}

/** A fresh home under the OS temp dir (short: the control socket path must fit). */
export function tempHome() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'))
}

/** Peak and current resident memory of a process, in MB, from /proc (Linux only). */
export function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
    return { peakMB: kb('VmHWM') / 1024, rssMB: kb('VmRSS') / 1024 }
  } catch {
    return { peakMB: NaN, rssMB: NaN }
  }
}

/**
 * Samples a process's resident memory by kind every `everyMs` until stopped: VmHWM counts every
 * resident page, and LevelDB reads its table files through mmap, so pages of the files it read
 * (compaction, the scrub after a restart, consumers reading old data) count too, although they are
 * the OS's page cache. The peaks of anonymous (RssAnon: heaps, memtables, buffers) and of
 * file-backed memory (RssFile) say which one grew. A sample can miss a peak shorter than `everyMs`.
 */
export class MemorySampler {
  constructor(pid, everyMs = 100) {
    this.peakAnonMB = 0
    this.peakFileMB = 0
    this.stepPeakAnonMB = 0
    this.timer = setInterval(() => this.sample(pid), everyMs)
    this.timer.unref()
  }

  sample(pid) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
      const mb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024
      const anon = mb('RssAnon')
      this.peakAnonMB = Math.max(this.peakAnonMB, anon)
      this.stepPeakAnonMB = Math.max(this.stepPeakAnonMB, anon)
      this.peakFileMB = Math.max(this.peakFileMB, mb('RssFile'))
    } catch {
      // The process is gone: the peaks so far stand.
    }
  }

  /** The anonymous peak since the last call (per step). */
  takeStepPeak() {
    const peak = this.stepPeakAnonMB
    this.stepPeakAnonMB = 0
    return peak
  }

  stop() {
    clearInterval(this.timer)
  }
}

/**
 * The resident memory of a process left alone for `seconds` (what it holds when it does nothing),
 * and its peak so far, in MB.
 */
export async function idleMemoryOf(pid, seconds) {
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const { rssMB, peakMB } = memoryOf(pid)
  return { idleSeconds: seconds, rssMB, peakMB }
}

export class BenchDaemon {
  /** `fsync`: `daemon start --fsync` (every group commit synced to disk before it is acknowledged). */
  constructor({ brokers = 3, home = tempHome(), fsync = false } = {}) {
    this.brokers = brokers
    this.home = home
    this.fsync = fsync
    this.env = cleanEnv({ SLUICE_HOME: home })
    this.info = undefined
  }

  /** Starts the daemon; resolves with the wall time of `sluice daemon start` (it returns once ready). */
  async start() {
    let last
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = this.info?.brokers[0]?.port ?? (await freePortRange(this.brokers))
      const env = { ...this.env, SLUICE_PORT: String(port), SLUICE_BROKERS: String(this.brokers) }
      const r = await sluice(['daemon', 'start', '--json', ...(this.fsync ? ['--fsync'] : [])], { env, stdout: 'pipe', timeoutMs: 60_000 })
      if (r.code === 0) {
        this.info = JSON.parse(r.stdout)
        this.lastStartupMs = this.reportedStartupMs()
        return r.ms
      }
      last = r
      // Another process took a port between the probe and the bind: try other ports.
      if (!/in use/i.test(r.stdout + r.stderr) || this.info) break
    }
    check(last, 'sluice daemon start')
  }

  /** The daemon's own figure, from its log: process start to every listener up (no CLI around it). */
  reportedStartupMs() {
    try {
      const text = fs.readFileSync(path.join(this.home, 'logs', 'daemon.log'), 'utf8')
      const all = [...text.matchAll(/ ready .*startupMs=(\d+)/g)]
      return all.length > 0 ? Number(all.at(-1)[1]) : undefined
    } catch {
      return undefined
    }
  }

  get bootstrap() {
    return this.info.bootstrap
  }

  get pid() {
    return this.info.pid
  }

  async status() {
    const r = check(await sluice(['daemon', 'status', '--json'], { env: this.env, stdout: 'pipe' }), 'sluice daemon status')
    return JSON.parse(r.stdout)
  }

  /** Graceful stop; SIGKILL if that fails. Never throws. Returns the stop's wall time in ms. */
  async stop() {
    if (!this.info) return 0
    const pid = this.info.pid
    const r = await sluice(['daemon', 'stop'], { env: this.env, timeoutMs: 30_000 })
    try {
      process.kill(pid, 0)
      process.kill(pid, 'SIGKILL')
    } catch {
      // Gone, as it should be.
    }
    return r.ms
  }

  /** Stops the daemon and removes its home. */
  async dispose() {
    await this.stop()
    fs.rmSync(this.home, { recursive: true, force: true })
  }
}

const TICK_MS = 10 // 1000 / CLK_TCK (100 on Linux)

/** utime + stime of a /proc stat line, in ms (fields 14 and 15, after the ")" closing the name). */
function statCpuMs(file) {
  const stat = fs.readFileSync(file, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

/**
 * CPU time a process has used so far, in ms: its main thread (JavaScript, the event loop) apart
 * from its other threads (the libuv pool doing LevelDB writes and reads, LevelDB compaction, GC).
 */
export function cpuOf(pid) {
  try {
    const totalMs = statCpuMs(`/proc/${pid}/stat`)
    const mainMs = statCpuMs(`/proc/${pid}/task/${pid}/stat`)
    return { mainMs, otherMs: totalMs - mainMs }
  } catch {
    return { mainMs: NaN, otherMs: NaN }
  }
}
