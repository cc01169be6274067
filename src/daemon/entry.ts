/**
 * How a background daemon process is launched: the entry script, its arguments and exit codes.
 * Kept apart from main.ts so that the CLI can spawn the daemon without loading the cluster code.
 */
import { fileURLToPath } from 'node:url'
import type { DaemonConfig } from './config.js'

/** The daemon lost the race for the home's lock: another daemon owns it. Not a failure. */
export const DAEMON_EXIT_LOCK_HELD = 75
/** The daemon could not start (port in use, bad home...); the reason is in its log. */
export const DAEMON_EXIT_START_FAILED = 3

/** dist/daemon/main.js, next to this file once built. */
export function daemonEntryPath(): string {
  return fileURLToPath(new URL('./main.js', import.meta.url))
}

export function daemonArgs(home: string, config: DaemonConfig): string[] {
  return ['--home', home, '--brokers', String(config.brokers), '--port', String(config.port), '--host', config.host]
}
