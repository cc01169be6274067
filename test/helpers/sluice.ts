/**
 * Runs the BUILT sluice binary (node bin/run.js) the way a user would. `npm test` builds first;
 * when running one test file by hand, run `npm run build` before.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import { HANG_MS } from './wait.js'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(REPO_ROOT, 'bin', 'run.js')

export interface SluiceOptions {
  home?: string
  env?: Record<string, string | undefined>
  input?: string
  /** Kill the command after this long (default HANG_MS): a hang, reported in stderr. */
  timeoutMs?: number
}

export interface SluiceResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** The test runner's environment without any SLUICE_* variable, so tests are isolated from the machine. */
export function cleanEnv(extra: Record<string, string | undefined> = {}, home?: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SLUICE_')) env[k] = v
  if (home !== undefined) env.SLUICE_HOME = home
  return { ...env, ...extra }
}

/** Starts `sluice ...` without waiting (for long-running commands); reject: false. */
export function spawnSluice(args: string[], opts: SluiceOptions = {}): ResultPromise<{ reject: false }> {
  return execa(process.execPath, [BIN, ...args], {
    reject: false,
    env: cleanEnv(opts.env, opts.home),
    extendEnv: false,
    input: opts.input,
    timeout: opts.timeoutMs ?? HANG_MS,
    cwd: REPO_ROOT,
  }) as ResultPromise<{ reject: false }>
}

export async function sluice(args: string[], opts: SluiceOptions = {}): Promise<SluiceResult> {
  const r = await spawnSluice(args, opts)
  const stderr = String(r.stderr ?? '')
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: r.timedOut ? `${stderr}\n${hung(args, opts.timeoutMs ?? HANG_MS)}` : stderr }
}

/** What a test sees of a command the helper had to kill: which one, and that it hung. */
export function hung(args: string[], timeoutMs: number): string {
  return `[test helper] \`sluice ${args.join(' ')}\` hung: killed after ${timeoutMs / 1000} s`
}

/** Runs `sluice ... --json`, which must exit 0 (else it throws with the command's stderr), and parses its stdout. */
export async function sluiceJson<T>(args: string[], opts: SluiceOptions = {}): Promise<T> {
  const r = await sluice([...args, '--json'], opts)
  if (r.exitCode !== 0) throw new Error(`\`sluice ${args.join(' ')} --json\` exited ${r.exitCode}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}
