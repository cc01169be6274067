/**
 * Starting, finding and stopping the local daemon from the CLI side.
 *
 * `ensureDaemon()` is what every data command calls when no --bootstrap-server is given: it uses
 * a running daemon or starts one in the background, exactly as `sluice daemon start` does.
 * Concurrent starts are safe: each spawns a daemon process, the home's lock picks one winner,
 * the losers exit with DAEMON_EXIT_LOCK_HELD and their parents wait for the winner to be ready.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { SluiceError, usageError } from '../common/errors.js'
import {
  brokersOfShape,
  checkConfig,
  checkShape,
  controllersOf,
  DEFAULT_HOST,
  DEFAULT_SHAPE,
  readConfig,
  type ControllerMode,
  type DaemonConfig,
} from '../common/daemon-config.js'
import type { DaemonStatus } from '../common/control-contract.js'
import { daemonArgs, daemonEntryPath, DAEMON_EXIT_LOCK_HELD } from '../common/daemon-entry.js'
import { secureHome } from '../common/home-mode.js'
import { lockHolder, removeStaleLock } from '../common/pid-lock.js'
import { assertSocketPathFits } from '../common/home-paths.js'
import { isProcessAlive } from '../common/process-alive.js'
import { callDaemon, ControlClient, probeDaemon } from './control.js'
import { displayHome, homePaths, type HomePaths } from './home.js'

export type { DaemonConfig, DaemonStatus }

/** What `daemon start --json` prints. */
export interface DaemonInfo {
  bootstrap: string
  brokers: Array<{ id: number; host: string; port: number }>
  pid: number
  home: string
}

// The poll that waits for a starting daemon: short sleeps, since time-to-ready is user-visible.
const POLL_MS = 10
const START_TIMEOUT_MS = 30_000
/**
 * How long a daemon that answers "starting" may take: a home with many partitions opens every log
 * and registers its brokers before it is ready (10,000 partitions: 10-35 s on a busy 2-core
 * machine), and a home must always be startable. The 30 s above apply to a daemon that does not answer.
 */
const START_PROGRESS_MAX_MS = 300_000
const STOP_TIMEOUT_MS = 10_000
const LOG_TAIL_LINES = 15
// A log past this size is renamed to daemon.log.1 when a new daemon starts.
const LOG_ROTATE_BYTES = 16 << 20

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  if (!/^\d+$/.test(raw.trim())) throw usageError(`${name} must be a positive integer (got ${JSON.stringify(raw)})`)
  return Number(raw)
}

export interface ConfigInput {
  home: string
  brokers?: number
  port?: number
  firstBrokerId?: number
  kafkaDefaults?: boolean
  fsync?: boolean
  controllers?: number
  controllerMode?: ControllerMode
  env?: NodeJS.ProcessEnv
}

/**
 * The brokers the daemon starts with. A home that has run keeps its brokers (<home>/config.json:
 * `broker add` and `broker remove` change them); a port (flag, then SLUICE_PORT) moves them all,
 * keeping their spacing. A new home's brokers come from the shape: each of count, port and first
 * id from the flag, then SLUICE_BROKERS / SLUICE_PORT / SLUICE_FIRST_BROKER_ID, then 3 brokers
 * from id 1 on port 9092.
 */
export function resolveDaemonConfig(input: ConfigInput): DaemonConfig {
  const env = input.env ?? process.env
  const saved = readConfig(homePaths(input.home).config)
  const host = saved.host ?? DEFAULT_HOST
  const port = input.port ?? envInt(env, 'SLUICE_PORT')
  // Read even when the home has its brokers: a malformed variable is an error all the same.
  const count = input.brokers ?? envInt(env, 'SLUICE_BROKERS')
  const firstBrokerId = input.firstBrokerId ?? envInt(env, 'SLUICE_FIRST_BROKER_ID')
  let config: DaemonConfig
  if (saved.brokers) {
    const shift = port === undefined ? 0 : port - saved.brokers[0]!.port
    config = { host, brokers: saved.brokers.map((b) => ({ id: b.id, port: b.port + shift })) }
  } else {
    const shape = { brokers: count ?? DEFAULT_SHAPE.brokers, port: port ?? DEFAULT_SHAPE.port, firstBrokerId: firstBrokerId ?? DEFAULT_SHAPE.firstBrokerId }
    const problem = checkShape(shape)
    if (problem) throw usageError(problem)
    config = { host, brokers: brokersOfShape(shape) }
  }
  const kafkaDefaults = input.kafkaDefaults ?? saved.kafkaDefaults
  if (kafkaDefaults !== undefined) config.kafkaDefaults = kafkaDefaults
  const fsync = input.fsync ?? saved.fsync
  if (fsync !== undefined) config.fsync = fsync
  // The voter set is the quorum's identity: a home that has one keeps it.
  if (saved.controllers !== undefined && input.controllers !== undefined && input.controllers !== saved.controllers) {
    throw usageError(`this home's controller quorum has ${saved.controllers} voter(s) and cannot change (voter changes are not supported); use a new home for ${input.controllers}`)
  }
  // A home that has run has a mode: combined when its file names none (it ran before dedicated existed).
  const savedMode = saved.brokers ? (saved.controllerMode ?? 'combined') : undefined
  if (savedMode !== undefined && input.controllerMode !== undefined && input.controllerMode !== savedMode) {
    throw usageError(`this home's controllers run in ${savedMode} mode and cannot change (voter changes are not supported); use a new home for ${input.controllerMode}`)
  }
  const controllerMode = input.controllerMode ?? savedMode ?? 'combined'
  if (controllerMode === 'dedicated') config.controllerMode = controllerMode
  config.controllers = input.controllers ?? saved.controllers ?? controllersOf(config)
  const problem = checkConfig(config)
  if (problem) throw usageError(problem)
  return config
}

export function infoFromStatus(status: DaemonStatus): DaemonInfo {
  const brokers = (status.cluster?.brokers ?? []).map(({ id, host, port }) => ({ id, host, port }))
  return { bootstrap: status.bootstrap, brokers, pid: status.pid, home: status.home }
}

interface Child {
  pid: number | undefined
  exit?: { code: number | null; signal: NodeJS.Signals | null; error?: Error }
}

/** Reads what was appended to the log after `offset`, through our own fd (immune to rotation). */
function logTail(fd: number, offset: number): string[] {
  const size = fs.fstatSync(fd).size
  const start = Math.max(offset, size - 64 * 1024)
  const buf = Buffer.alloc(size - start)
  fs.readSync(fd, buf, 0, buf.length, start)
  return buf.toString('utf8').split('\n').filter((l) => l.trim() !== '').slice(-LOG_TAIL_LINES)
}

/** The `err=` of the last ERROR line, else its message: why the daemon gave up. */
function reasonFromLog(lines: string[]): string | undefined {
  const line = lines.findLast((l) => / ERROR /.test(l))
  if (line === undefined) return undefined
  const err = / err=("(?:[^"\\]|\\.)*"|\S+)/.exec(line)?.[1]
  if (err === undefined) return line.replace(/^\S+ ERROR +/, '')
  try {
    return err.startsWith('"') ? (JSON.parse(err) as string) : err
  } catch {
    return err
  }
}

function rotateLogIfLarge(paths: HomePaths): void {
  try {
    if (fs.statSync(paths.logFile).size > LOG_ROTATE_BYTES) fs.renameSync(paths.logFile, paths.logFile + '.1')
  } catch {
    // No log yet.
  }
}

/**
 * glibc's allocator, tuned for the daemon (docs/performance.md, "Memory"); a value the user set
 * wins, and other C libraries ignore these variables.
 * - Each thread that allocates (libuv's pool running LevelDB writes, LevelDB's compaction threads)
 *   gets an arena of its own, and freed memory stays in them: two arenas cut the peak under a bulk
 *   load by 30-40 MB.
 * - Every group commit builds a LevelDB write batch as large as the batches it carries (up to
 *   megabytes) on the main thread. By default glibc serves such sizes with a fresh mmap and returns
 *   them at free, so each write paid page faults on fresh zeroed pages again; kept up to 64 MB,
 *   the memory is reused: kcat into the daemon took 0.59 + 1.28 CPU-s instead of 0.76 + 1.42, for
 *   20 MB more at the peak.
 */
export const DAEMON_MALLOC = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: String(64 * 1024 * 1024), MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024) }

function spawnDaemon(paths: HomePaths, config: DaemonConfig, logFd: number): Child {
  const args = [daemonEntryPath(), ...daemonArgs(paths.home, config)]
  if (process.env.SLUICE_DEBUG === '1') args.push('--debug')
  const proc = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    // Not the caller's cwd: a long-lived daemon must not pin a directory the user may remove.
    cwd: paths.home,
    env: { ...DAEMON_MALLOC, ...process.env },
  })
  const child: Child = { pid: proc.pid }
  proc.on('exit', (code, signal) => (child.exit ??= { code, signal }))
  proc.on('error', (error) => (child.exit ??= { code: null, signal: null, error }))
  proc.unref()
  return child
}

export interface StartOptions {
  home: string
  /** Flags given on the command line; the rest comes from env, config file, defaults. */
  brokers?: number
  port?: number
  firstBrokerId?: number
  kafkaDefaults?: boolean
  fsync?: boolean
  controllers?: number
  controllerMode?: ControllerMode
  timeoutMs?: number
}

export interface StartResult {
  info: DaemonInfo
  /** False when a daemon was already running (or another process started it just now). */
  started: boolean
}

/** Starts the daemon in the background unless one runs; returns once every listener is up. */
export async function startDaemon(opts: StartOptions): Promise<StartResult> {
  const paths = homePaths(opts.home)
  assertSocketPathFits(paths)
  const timeoutMs = opts.timeoutMs ?? START_TIMEOUT_MS
  const startedMs = Date.now()
  let deadline = startedMs + timeoutMs
  let config: DaemonConfig | undefined
  let child: Child | undefined
  const spawned = new Set<number>()
  let logFd: number | undefined
  let logOffset = 0
  try {
    for (;;) {
      const status = await probeDaemon(paths.home, { timeoutMs: 2_000 })
      if (status?.state === 'ready') return { info: infoFromStatus(status), started: spawned.has(status.pid) }
      // Starting and answering: it is making progress, give it time (up to the cap).
      if (status?.state === 'starting') deadline = Math.min(Math.max(deadline, Date.now() + timeoutMs), startedMs + START_PROGRESS_MAX_MS)
      if (child?.exit) {
        if (child.exit.code !== DAEMON_EXIT_LOCK_HELD) {
          const how = child.exit.error
            ? `could not be spawned: ${child.exit.error.message}`
            : child.exit.signal
              ? `was killed by ${child.exit.signal}`
              : `exited with code ${child.exit.code}`
          const details = logFd === undefined ? [] : logTail(logFd, logOffset)
          const reason = reasonFromLog(details) ?? `it ${how}`
          throw new SluiceError('DAEMON_START_FAILED', `the daemon failed to start: ${reason}`, {
            details: [...details, `(log: ${paths.logFile})`],
          })
        }
        // Another process won the lock: wait for its daemon to be ready (or to go away).
        child = undefined
      }
      if (!child && status?.state !== 'starting' && lockHolder(paths.pidFile) === undefined) {
        config ??= resolveDaemonConfig({ home: paths.home, brokers: opts.brokers, port: opts.port, firstBrokerId: opts.firstBrokerId, kafkaDefaults: opts.kafkaDefaults, fsync: opts.fsync, controllers: opts.controllers, controllerMode: opts.controllerMode })
        // The home is private to its user (record data, and a control socket that can stop the daemon).
        const homeNote = secureHome(paths.home)
        if (homeNote) process.stderr.write(`sluice: ${homeNote}\n`)
        fs.mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 })
        if (logFd === undefined) {
          rotateLogIfLarge(paths)
          logFd = fs.openSync(paths.logFile, 'a+', 0o600)
          logOffset = fs.fstatSync(logFd).size
        }
        child = spawnDaemon(paths, config, logFd)
        if (child.pid !== undefined) spawned.add(child.pid)
      }
      if (Date.now() > deadline) {
        const holder = lockHolder(paths.pidFile)
        const hint =
          holder !== undefined && !spawned.has(holder)
            ? `; process ${holder} holds ${paths.pidFile} but its control socket does not answer (if it is not a sluice daemon, delete that file)`
            : ''
        throw new SluiceError('DAEMON_START_FAILED', `the daemon did not become ready in time${hint}; log: ${paths.logFile}`, {
          details: logFd === undefined ? undefined : logTail(logFd, logOffset),
        })
      }
      await sleep(POLL_MS)
    }
  } finally {
    if (logFd !== undefined) fs.closeSync(logFd)
  }
}

export interface EnsureOptions {
  home: string
  /** No note on stderr when the daemon had to be started. */
  quiet?: boolean
}

/** The local daemon's bootstrap address, starting the daemon first if it is not running. */
export async function ensureDaemon(opts: EnsureOptions): Promise<{ bootstrap: string; brokers: string[]; started: boolean }> {
  const { info, started } = await startDaemon({ home: opts.home })
  if (started && !opts.quiet) {
    process.stderr.write(`sluice: started the local daemon at ${info.bootstrap} (home ${displayHome(info.home)})\n`)
  }
  // Every broker's address, so that a client still gets metadata when broker 1 is down.
  return { bootstrap: info.bootstrap, brokers: info.brokers.map((b) => `${b.host}:${b.port}`), started }
}

/** The running daemon's status. Throws DAEMON_NOT_RUNNING / DAEMON_UNRESPONSIVE. */
export async function daemonStatus(home: string): Promise<DaemonStatus> {
  try {
    return await callDaemon(home, 'status', {}, { timeoutMs: 5_000 })
  } catch (err) {
    const holder = lockHolder(homePaths(home).pidFile)
    if (err instanceof SluiceError && err.code === 'DAEMON_NOT_RUNNING' && holder !== undefined) {
      throw new SluiceError(
        'DAEMON_UNRESPONSIVE',
        `the daemon (pid ${holder}) owns home ${displayHome(home)} but its control socket does not answer`,
        { cause: err },
      )
    }
    throw err
  }
}

export interface StopOptions {
  home: string
  timeoutMs?: number
  /** Called with human notes (e.g. that the daemon had to be killed). */
  onNote?: (note: string) => void
}

export interface StopResult {
  stopped: boolean
  pid?: number
  /** True when the graceful stop timed out and the daemon got SIGKILL. */
  killed: boolean
  home: string
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false
    await sleep(POLL_MS)
  }
  return true
}

/** Graceful stop (control socket, else SIGTERM), waiting for the process to exit; SIGKILL after the timeout. */
export async function stopDaemon(opts: StopOptions): Promise<StopResult> {
  const paths = homePaths(opts.home)
  const timeoutMs = opts.timeoutMs ?? STOP_TIMEOUT_MS
  let pid: number | undefined
  try {
    const client = await ControlClient.connect(paths.socket, { timeoutMs: 2_000 })
    try {
      pid = (await client.call('stop', {}, { timeoutMs: 5_000 })).pid
    } finally {
      client.close()
    }
  } catch {
    // Not answering: fall back to the pid file and a signal.
  }
  if (pid === undefined) {
    pid = lockHolder(paths.pidFile)
    if (pid === undefined) {
      removeStaleLock(paths.pidFile)
      return { stopped: false, killed: false, home: paths.home }
    }
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // Exited meanwhile.
    }
  }
  if (await waitForExit(pid, timeoutMs)) return { stopped: true, pid, killed: false, home: paths.home }
  opts.onNote?.(`the daemon did not stop within ${Math.round(timeoutMs / 1000)} s; killed it (pid ${pid})`)
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Exited meanwhile.
  }
  await waitForExit(pid, 5_000)
  removeStaleLock(paths.pidFile)
  return { stopped: true, pid, killed: true, home: paths.home }
}

/** Waits until the daemon owning `home` is ready; used when another process is starting it. */
export async function waitForReady(home: string, timeoutMs = START_TIMEOUT_MS): Promise<DaemonStatus> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = await probeDaemon(home, { timeoutMs: 2_000 })
    if (status?.state === 'ready') return status
    if (status === undefined && lockHolder(homePaths(home).pidFile) === undefined) {
      throw new SluiceError('DAEMON_NOT_RUNNING', `the daemon is not running (home ${displayHome(home)})`)
    }
    if (Date.now() > deadline) throw new SluiceError('DAEMON_UNRESPONSIVE', 'the daemon did not become ready in time')
    await sleep(POLL_MS)
  }
}
