/**
 * The base of every sluice command: shared flags (--json, --home), home resolution, Ctrl-C
 * handling, and the ONE place that turns an error into output and an exit code:
 *   human:   one line on stderr, `sluice: <message>` (stack only with SLUICE_DEBUG=1)
 *   --json:  {"error":{"code":"...","message":"..."}} on stdout
 * Exit codes are the table in common/errors.ts (docs/errors.md).
 */
import { Command, Errors, Flags, type Interfaces } from '@oclif/core'
import { resolveHome } from '../client/home.js'
import { ERROR_EXIT_CODES, ExitCode, SluiceError, systemErrorCode } from '../common/errors.js'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const HELP_HINT = /\n?See more help with --help\s*$/

/** Writes to a closed pipe (`sluice ... | head`) end the command quietly with exit 0. */
function installPipeGuards(): void {
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(ExitCode.OK)
      throw err
    })
  }
  // stderr is where errors go; if it is gone too there is no one left to tell.
  if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => undefined)
}

/** Parse errors from oclif (unknown flag, bad value, missing argument) as one usage line. */
function usageFromOclif(err: Error): SluiceError | undefined {
  const isParse = (err instanceof Errors.CLIError && 'parse' in err) || HELP_HINT.test(err.message)
  if (!isParse) return undefined
  const message = err.message
    .replace(HELP_HINT, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ')
    .replace(/^Parsing (--\S+)\s*/, 'invalid value for $1: ')
  return new SluiceError('USAGE', `${message} (see --help)`, { cause: err })
}

/** Maps anything thrown to a SluiceError; `exit: 0` means "end quietly". */
export function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err
  if (systemErrorCode(err) === 'EPIPE') return new SluiceError('EPIPE', 'stdout closed', { exit: ExitCode.OK })
  if (!(err instanceof Error)) return new SluiceError('INTERNAL', `internal error: ${String(err)}`)
  const usage = usageFromOclif(err)
  if (usage) return usage
  if (err instanceof Errors.CLIError) {
    // this.error('...', {exit}) from a command: keep its exit code.
    return new SluiceError(typeof err.code === 'string' ? err.code : 'ERROR', err.message, {
      exit: err.oclif.exit ?? ExitCode.INTERNAL,
      cause: err,
    })
  }
  // A typed error from another layer whose code is in the table keeps its meaning.
  const code = systemErrorCode(err)
  if (code !== undefined && code in ERROR_EXIT_CODES) return new SluiceError(code, err.message, { cause: err })
  const hint = process.env.SLUICE_DEBUG === '1' ? '' : ' (set SLUICE_DEBUG=1 for details)'
  return new SluiceError('INTERNAL', `internal error: ${err.message}${hint}`, { cause: err })
}

function debugStack(err: unknown): string {
  let out = ''
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    out += (depth === 0 ? '' : 'caused by: ') + (e instanceof Error ? (e.stack ?? e.message) : String(e)) + '\n'
    e = e instanceof Error ? e.cause : undefined
  }
  return out
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    home: Flags.string({
      description: 'sluice home directory (default: $SLUICE_HOME, else ~/.sluice)',
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: InferredFlags<T>
  protected args!: InferredArgs<T>
  /** Absolute path of the sluice home this command works in. */
  protected home!: string
  private interruptedBy: NodeJS.Signals | undefined

  public override async init(): Promise<void> {
    await super.init()
    installPipeGuards()
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: this.ctor.baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as InferredFlags<T>
    this.args = args as InferredArgs<T>
    this.home = resolveHome(this.flags.home)
  }

  /**
   * For commands that run until stopped (a follow, a foreground daemon): returns a signal that
   * aborts on Ctrl-C or SIGTERM so the command can stop cleanly; a second Ctrl-C exits at once.
   * After a clean stop the command exits 130 (Ctrl-C) or 0 (SIGTERM).
   */
  protected interruptSignal(): AbortSignal {
    const controller = new AbortController()
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.interruptedBy !== undefined) process.exit(ExitCode.INTERRUPTED)
      this.interruptedBy = signal
      controller.abort(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    return controller.signal
  }

  /** A note for the person at the terminal: stderr, never stdout (which carries data). */
  protected note(message: string): void {
    process.stderr.write(`sluice: ${message}\n`)
  }

  /** Success JSON: one line when piped (for jq and friends), indented on a terminal. */
  public override logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json, null, process.stdout.isTTY ? 2 : undefined) + '\n')
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    // this.exit(n) inside a command: the exit code is already decided.
    if (err instanceof Errors.ExitError) throw err
    let failure = toSluiceError(err)
    if (failure.exit === ExitCode.UNREACHABLE || failure.exit === ExitCode.KAFKA) failure = await this.withLogDirNotes(failure)
    if (failure.exit !== ExitCode.OK) {
      if (this.jsonEnabled()) {
        process.stdout.write(JSON.stringify({ error: failure.toJSON() }) + '\n')
      } else {
        process.stderr.write(`sluice: ${failure.message}\n`)
        for (const line of failure.details ?? []) process.stderr.write(`  ${line}\n`)
      }
      if (process.env.SLUICE_DEBUG === '1') process.stderr.write(debugStack(err))
    }
    throw new Errors.ExitError(failure.exit)
  }

  /**
   * A data command that failed against the local daemon while a broker's log dir is offline (a
   * full disk): the client saw only retries and timeouts, so name the broker and the reason.
   */
  private async withLogDirNotes(failure: SluiceError): Promise<SluiceError> {
    if ((this.flags as { 'bootstrap-server'?: string } | undefined)?.['bootstrap-server'] !== undefined || !this.home) return failure
    // The daemon itself is the problem: asking it about its brokers would not help.
    if (failure.code.startsWith('DAEMON_')) return failure
    const { logDirNotes } = await import('../client/local.js')
    const notes = await logDirNotes(this.home)
    if (notes.length === 0) return failure
    return new SluiceError(failure.code, failure.message, { exit: failure.exit, cause: failure.cause, details: [...notes, ...(failure.details ?? [])] })
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    if (err === undefined && this.interruptedBy === 'SIGINT') process.exitCode = ExitCode.INTERRUPTED
    return super.finally(err)
  }
}
