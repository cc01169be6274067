/**
 * The layout of a sluice home directory. One daemon per home; everything it owns lives here.
 *
 *   <home>/config.json      the home's brokers (ids and ports) and host (common/daemon-config.ts)
 *   <home>/daemon.pid       the lock: pid of the daemon that owns this home
 *   <home>/daemon.pid.owner its process start time, to tell it from a later process with its pid
 *   <home>/control.sock     control socket (newline-delimited JSON), mode 0600
 *   <home>/logs/daemon.log  the daemon's log (also its stdout/stderr when in the background)
 *   <home>/brokers/<id>/    one LevelDB per simulated broker (owned by the cluster wiring)
 */
import path from 'node:path'
import { SluiceError } from './errors.js'

export interface HomePaths {
  home: string
  config: string
  pidFile: string
  socket: string
  logsDir: string
  logFile: string
}

// sockaddr_un.sun_path is 108 bytes on Linux and 104 on macOS, including the NUL.
const SOCKET_PATH_BYTES_MAX = 103

export function homePaths(home: string): HomePaths {
  const abs = path.resolve(home)
  const logsDir = path.join(abs, 'logs')
  return {
    home: abs,
    config: path.join(abs, 'config.json'),
    pidFile: path.join(abs, 'daemon.pid'),
    socket: path.join(abs, 'control.sock'),
    logsDir,
    logFile: path.join(logsDir, 'daemon.log'),
  }
}

/** Throws a usage error when the control socket path would not fit in a sockaddr_un. */
export function assertSocketPathFits(paths: HomePaths): void {
  if (Buffer.byteLength(paths.socket) > SOCKET_PATH_BYTES_MAX) {
    throw new SluiceError(
      'HOME_PATH_TOO_LONG',
      `the home directory path is too long for a Unix socket (${paths.socket}); use a shorter SLUICE_HOME`,
    )
  }
}
