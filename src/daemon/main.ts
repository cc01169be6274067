/**
 * Entry of the background daemon process (spawned detached by `sluice daemon start` and by
 * commands that start the daemon on first use), with stdout/stderr appended to the home's log.
 * Runs the same code as `sluice daemon start --foreground`.
 */
import { parseArgs } from 'node:util'
import { SluiceError } from '../common/errors.js'
import { runDaemon, type Daemon } from './daemon.js'
import { DAEMON_EXIT_LOCK_HELD, DAEMON_EXIT_START_FAILED, parseBrokersArg } from '../common/daemon-entry.js'
import { checkConfig, sortedById, type ControllerMode } from '../common/daemon-config.js'
import { LockHeldError } from '../common/pid-lock.js'
import { formatLogLine } from './logger.js'

// stdout/stderr are the log file: whatever is written there must look like a log line.
function logToStdio(level: 'INFO' | 'ERROR', msg: string, fields?: Record<string, unknown>): void {
  process.stderr.write(formatLogLine(new Date(), level, msg, fields))
}

const { values } = parseArgs({
  options: {
    home: { type: 'string' },
    brokers: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    debug: { type: 'boolean', default: false },
    'kafka-defaults': { type: 'boolean', default: false },
    fsync: { type: 'boolean', default: false },
    controllers: { type: 'string' },
    'controller-mode': { type: 'string' },
  },
  strict: true,
})
const brokers = parseBrokersArg(values.brokers ?? '')
if (values.home === undefined || brokers === undefined) {
  logToStdio('ERROR', 'daemon entry needs --home and --brokers ID:PORT,...')
  process.exit(DAEMON_EXIT_START_FAILED)
}
const controllers = values.controllers === undefined ? undefined : Number(values.controllers)
const controllerMode = values['controller-mode'] as ControllerMode | undefined
const problem = checkConfig({ host: values.host, brokers, controllers, controllerMode })
if (problem !== undefined) {
  logToStdio('ERROR', `daemon entry: ${problem}`)
  process.exit(DAEMON_EXIT_START_FAILED)
}

// What `ps` shows: which home this daemon serves.
process.title = `sluice-daemon ${values.home}`

let daemon: Daemon
try {
  daemon = await runDaemon({
    home: values.home,
    brokers: sortedById(brokers),
    host: values.host,
    debug: values.debug,
    kafkaDefaults: values['kafka-defaults'],
    fsync: values.fsync,
    controllers,
    controllerMode,
  })
} catch (err) {
  if (err instanceof LockHeldError) {
    logToStdio('INFO', 'another daemon owns this home; exiting', { pid: process.pid, owner: err.pid })
    process.exit(DAEMON_EXIT_LOCK_HELD)
  }
  // runDaemon logs its own DAEMON_START_FAILED; this covers failures before its log was open.
  if (!(err instanceof SluiceError && err.code === 'DAEMON_START_FAILED')) {
    logToStdio('ERROR', 'daemon failed to start', { pid: process.pid, err: (err as Error)?.message ?? String(err) })
  }
  process.exit(DAEMON_EXIT_START_FAILED)
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void daemon.stop(signal))
}
// Detached from any terminal, but a stray SIGHUP (a closed ssh session) must not kill it.
process.on('SIGHUP', () => daemon.log.info('ignoring SIGHUP'))

const crash = (what: string) => (err: unknown) => {
  daemon.log.error(what, { err: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  // No graceful stop after a crash: leave LevelDB to its own recovery, but free the home so the
  // next start does not have to detect a stale lock.
  daemon.abandon()
  process.exit(1)
}
process.on('uncaughtException', crash('uncaught exception'))
process.on('unhandledRejection', crash('unhandled rejection'))

await daemon.stopped
process.exit(0)
