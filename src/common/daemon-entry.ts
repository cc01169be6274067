/**
 * How a background daemon process is launched: the entry script, its arguments and exit codes.
 * Shared by the CLI, which spawns the daemon (client/daemon.ts), and the daemon's main.ts: kept
 * here so that the CLI can spawn the daemon without importing daemon/ or loading the cluster code.
 */
import { fileURLToPath } from 'node:url'
import type { ConfiguredBroker, DaemonConfig } from './daemon-config.js'

/** The daemon lost the race for the home's lock: another daemon owns it. Not a failure. */
export const DAEMON_EXIT_LOCK_HELD = 75
/** The daemon could not start (port in use, bad home...); the reason is in its log. */
export const DAEMON_EXIT_START_FAILED = 3

/** dist/daemon/main.js: dist/common/ and dist/daemon/ are siblings once built. */
export function daemonEntryPath(): string {
  return fileURLToPath(new URL('../daemon/main.js', import.meta.url))
}

/** `--brokers ID:PORT,...`: every broker the daemon runs, as the CLI resolved them. */
export function daemonArgs(home: string, config: DaemonConfig): string[] {
  const args = ['--home', home, '--brokers', config.brokers.map((b) => `${b.id}:${b.port}`).join(','), '--host', config.host]
  if (config.kafkaDefaults) args.push('--kafka-defaults')
  if (config.fsync) args.push('--fsync')
  if (config.controllers !== undefined) args.push('--controllers', String(config.controllers))
  if (config.controllerMode !== undefined) args.push('--controller-mode', config.controllerMode)
  return args
}

/** The brokers of `--brokers ID:PORT,...`; undefined when malformed (checkConfig judges the values). */
export function parseBrokersArg(arg: string): ConfiguredBroker[] | undefined {
  const brokers: ConfiguredBroker[] = []
  for (const item of arg.split(',')) {
    const m = /^(\d+):(\d+)$/.exec(item)
    if (!m) return undefined
    brokers.push({ id: Number(m[1]), port: Number(m[2]) })
  }
  return brokers
}
