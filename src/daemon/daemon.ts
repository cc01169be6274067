/**
 * The daemon's lifecycle in one process: take the home's lock, open the log, serve the control
 * socket, start the cluster, and stop all of it gracefully. `daemon start --foreground` and the
 * background entry (main.ts) both run exactly this.
 *
 * Order on start: lock -> log -> control socket (state 'starting') -> cluster -> config saved -> 'ready'.
 * Order on stop: 'stopping' -> cluster (listeners, then stores) -> control socket -> pid file,
 * so the pid file disappears last: while it exists, another start waits instead of racing.
 *
 * Every failure after the log is open is logged here and thrown as DAEMON_START_FAILED, so the
 * callers (main.ts, the foreground command) do not log it again.
 */
import fs from 'node:fs'
import { SluiceError, systemErrorCode } from '../common/errors.js'
import type { ClusterOptions, ClusterRuntime } from './cluster-runtime.js'
import { registerClusterControl } from './cluster-control.js'
import { controllersOf, describePorts, writeConfig, type ConfiguredBroker, type ControllerMode } from '../common/daemon-config.js'
import type { DaemonMethod, DaemonState, DaemonStatus } from '../common/control-contract.js'
import { ControlEvents, ControlServer, type ControlHandlers } from './control-server.js'
import { secureHome } from '../common/home-mode.js'
import { acquirePidLock, type PidLock } from '../common/pid-lock.js'
import { createLogger, fileSink, type DaemonLogger, type LogSink } from './logger.js'
import { assertSocketPathFits, homePaths, type HomePaths } from '../common/home-paths.js'

export interface DaemonOptions {
  home: string
  /** The brokers to run (sorted by id): the first one's address is the bootstrap address. */
  brokers: ConfiguredBroker[]
  host: string
  /** Kafka's defaults instead of sluice's own (saved in the home's config.json). */
  kafkaDefaults?: boolean
  /** Every broker's group commits fsynced before they are acknowledged (saved in the home's config.json). */
  fsync?: boolean
  /** Controller quorum voters: the first N brokers (saved in the home's config.json); by the broker count when not given. */
  controllers?: number
  /** combined (the default) or dedicated: voters of their own, not brokers (saved in the home's config.json). */
  controllerMode?: ControllerMode
  /** More places to log to besides <home>/logs/daemon.log (the foreground daemon adds stderr). */
  logSinks?: LogSink[]
  debug?: boolean
  /** Injected by tests; the real wiring otherwise. */
  startCluster?: (opts: ClusterOptions) => Promise<ClusterRuntime>
}

export interface Daemon {
  readonly paths: HomePaths
  readonly log: DaemonLogger
  readonly control: ControlServer
  readonly events: ControlEvents
  status(): DaemonStatus
  /** Graceful stop; idempotent. Resolves when everything is closed and the pid file removed. */
  stop(reason: string): Promise<void>
  /** Resolves with the stop reason once stopped, however the stop was requested. */
  readonly stopped: Promise<string>
  /**
   * For a crash: synchronously frees the home (socket file, lock) without closing anything,
   * so the next start need not detect a stale lock. The process must exit right after.
   */
  abandon(): void
}

function startFailure(err: unknown, opts: DaemonOptions): SluiceError {
  const inner = (err as { cause?: unknown })?.cause
  const code = systemErrorCode(err) ?? systemErrorCode(inner)
  if (code === 'EADDRINUSE') {
    const port = (err as { port?: unknown }).port ?? (inner as { port?: unknown } | undefined)?.port
    const ports = typeof port === 'number' ? `port ${port}` : opts.brokers.length === 1 ? describePorts(opts.brokers) : `one of ${describePorts(opts.brokers)}`
    return new SluiceError(
      'DAEMON_START_FAILED',
      `${ports} on ${opts.host} is already in use (another sluice home or another program); choose another with --port or SLUICE_PORT`,
      { cause: err },
    )
  }
  return new SluiceError('DAEMON_START_FAILED', `the cluster failed to start: ${(err as Error)?.message ?? err}`, {
    cause: err,
  })
}

export async function runDaemon(opts: DaemonOptions): Promise<Daemon> {
  const paths = homePaths(opts.home)
  assertSocketPathFits(paths)
  const homeNote = secureHome(paths.home)
  fs.mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 })

  // The lock comes before the log file: a loser of a concurrent start must not write to the
  // winner's log beyond what its redirected stdio already shows.
  const lock: PidLock = await acquirePidLock(paths.pidFile)
  let file: ReturnType<typeof fileSink>
  try {
    file = fileSink(paths.logFile)
  } catch (err) {
    lock.release()
    throw err
  }
  const log = createLogger({ sinks: [file.write, ...(opts.logSinks ?? [])], onClose: file.close, debug: opts.debug })
  const startedAt = new Date()
  const bootstrap = `${opts.host}:${opts.brokers[0]!.port}`
  // The home's brokers as they run: saved once the cluster is up, and at every change.
  const controllers = controllersOf(opts)
  const { controllerMode } = opts
  const saveBrokers = (brokers: ConfiguredBroker[]): void =>
    writeConfig(paths.config, { host: opts.host, brokers, controllers, controllerMode, kafkaDefaults: opts.kafkaDefaults, fsync: opts.fsync })
  let state: DaemonState = 'starting'
  let cluster: ClusterRuntime | undefined
  const events = new ControlEvents()
  const control = new ControlServer({ log, events })

  let resolveStopped!: (reason: string) => void
  const stopped = new Promise<string>((resolve) => (resolveStopped = resolve))
  let stopping: Promise<void> | undefined
  let startup: Promise<unknown> = Promise.resolve()

  const status = (): DaemonStatus => ({
    pid: process.pid,
    home: paths.home,
    state,
    startedAt: startedAt.toISOString(),
    uptimeMs: Date.now() - startedAt.getTime(),
    bootstrap,
    fsync: opts.fsync ?? false,
    cluster: state === 'ready' && cluster ? cluster.status() : null,
  })

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      // A stop that arrives mid-start waits for the start to settle, then undoes it.
      await startup.catch(() => undefined)
      state = 'stopping'
      log.info('stopping', { reason })
      events.publish('daemon.stopping', { reason })
      if (cluster) {
        try {
          await cluster.close()
        } catch (err) {
          log.error('cluster close failed', { err })
        }
      }
      await control.close()
      lock.release()
      log.info('stopped', { reason })
      log.close()
      resolveStopped(reason)
    })()
    return stopping
  }

  control.serve({
    status: () => status(),
    stop: (_params, ctx) => {
      ctx.afterResponse(() => void stop('control'))
      return { pid: process.pid, stopping: true }
    },
  } satisfies ControlHandlers<DaemonMethod>)

  try {
    await control.listen(paths.socket)
  } catch (err) {
    const failure = new SluiceError('DAEMON_START_FAILED', `the control socket failed: ${(err as Error).message}`, {
      cause: err,
    })
    log.error('daemon failed to start', { err: failure.message })
    await control.close().catch(() => undefined)
    lock.release()
    log.close()
    throw failure
  }
  log.info('starting', { pid: process.pid, home: paths.home, brokers: opts.brokers.map((b) => `${b.id}:${b.port}`).join(','), host: opts.host, fsync: opts.fsync ?? false })
  if (homeNote) log.warn(homeNote)

  const runStartup = async (): Promise<void> => {
    try {
      // Loaded lazily so that tests with an injected cluster never load the broker stack.
      const start = opts.startCluster ?? (await import('./cluster-runtime.js')).startCluster
      cluster = await start({
        home: paths.home,
        brokers: opts.brokers,
        host: opts.host,
        kafkaDefaults: opts.kafkaDefaults,
        fsync: opts.fsync,
        controllers,
        controllerMode,
        log,
        onBrokersChanged: saveBrokers,
        onEvents: (clusterEvents) => {
          for (const e of clusterEvents) events.publish(`cluster.${e.type}`, e)
        },
      })
      saveBrokers(opts.brokers)
      registerClusterControl(control, cluster)
    } catch (err) {
      const failure = startFailure(err, opts)
      log.error('daemon failed to start', { err: failure.message })
      state = 'stopping'
      await control.close().catch(() => undefined)
      lock.release()
      log.close()
      resolveStopped('error')
      throw failure
    }
    state = 'ready'
    log.info('ready', { bootstrap, startupMs: Math.round(performance.now()) })
    events.publish('daemon.ready', { bootstrap })
  }
  startup = runStartup()
  await startup

  const abandon = (): void => {
    fs.rmSync(paths.socket, { force: true })
    lock.release()
  }

  return { paths, log, control, events, status, stop, stopped, abandon }
}
