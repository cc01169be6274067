/**
 * A running daemon for a test: a temp home (unless given), free consecutive ports, started with
 * the real `sluice daemon start --json`. Other tests reuse it:
 *
 *   const d = await startDaemon({ brokers: 3 })
 *   ... kcat -b d.bootstrap ...
 *   await stopDaemon(d)
 */
import { callDaemon } from '../../src/client/control.js'
import type { Method, Params, Result } from '../../src/common/control-contract.js'
import { freePortRange } from './ports.js'
import { sluice } from './sluice.js'
import { tempHome, type TempHome } from './home.js'
import { HANG_MS } from './wait.js'

export interface TestDaemon {
  home: string
  port: number
  bootstrap: string
  brokers: Array<{ id: number; host: string; port: number }>
  pid: number
  /** Env to pass to other sluice invocations against this daemon. */
  env: Record<string, string>
  /** Set when the helper created the home; stopDaemon removes it. */
  tempHome?: TempHome
}

export interface StartDaemonOptions {
  brokers?: number
  home?: string
  env?: Record<string, string>
  /** More flags for `daemon start` (e.g. `--kafka-defaults`). */
  startArgs?: string[]
}

const ATTEMPTS_MAX = 4

export async function startDaemon(opts: StartDaemonOptions = {}): Promise<TestDaemon> {
  const brokers = opts.brokers ?? 1
  const temp = opts.home === undefined ? await tempHome() : undefined
  const home = opts.home ?? temp!.path
  let last = ''
  // Another test may grab a port between freePortRange() and the daemon's bind: retry elsewhere.
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const port = await freePortRange(brokers)
    const env = { SLUICE_PORT: String(port), SLUICE_BROKERS: String(brokers), ...opts.env }
    const r = await sluice(['daemon', 'start', '--json', ...(opts.startArgs ?? [])], { home, env })
    if (r.exitCode === 0) {
      const info = JSON.parse(r.stdout) as Omit<TestDaemon, 'env' | 'port' | 'tempHome'>
      return { ...info, home, port: info.brokers[0]?.port ?? port, env: { SLUICE_HOME: home, ...env }, tempHome: temp }
    }
    last = `exit ${r.exitCode}: ${r.stdout} ${r.stderr}`
    if (!/in use/.test(r.stdout + r.stderr)) break
  }
  await temp?.cleanup()
  throw new Error(`sluice daemon start failed: ${last}`)
}

/** Stops the daemon (gracefully, via the CLI) and removes its home if the helper made it. */
/**
 * Stops the daemon with `sluice daemon stop`. If that fails, the daemon is killed (a test stops
 * what it started) and the failure is thrown: a daemon that will not stop is a bug to see.
 */
export async function stopDaemon(d: TestDaemon): Promise<void> {
  const r = await sluice(['daemon', 'stop'], { home: d.home })
  if (r.exitCode !== 0) {
    try {
      process.kill(d.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  await d.tempHome?.cleanup()
  if (r.exitCode !== 0) throw new Error(`\`sluice daemon stop\` exited ${r.exitCode} (daemon ${d.pid} killed): ${r.stderr}`)
}

/**
 * The daemon's control socket, straight (typed by the control contract): for a test to wait on
 * the cluster or set it up, not for what it tests (that goes through the CLI).
 */
export function control<M extends Method>(d: Pick<TestDaemon, 'home'>, method: M, params: Params<M>): Promise<Result<M>> {
  return callDaemon(d.home, method, params, { timeoutMs: HANG_MS })
}
