/**
 * Typed operating errors and the exit-code table (documented in docs/errors.md; both are stable).
 *
 * This module has no imports on purpose, and lives in common/ so that every layer (daemon, client,
 * commands) may throw SluiceError; presenting it stays in cli/: BaseCommand is the one place that
 * turns it into a line on stderr and an exit code.
 */

/** Process exit codes. Scripts depend on these: never renumber, only add. */
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  NOT_FOUND: 4,
  CONFLICT: 5,
  BAD_INPUT: 6,
  KAFKA: 7,
  /** `cluster status`: it answered, and the cluster is not healthy (not an error: the status is printed). */
  UNHEALTHY: 8,
  INTERRUPTED: 130,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * Known error codes and the exit code each implies, so a code that crossed a process boundary
 * (the control socket carries only {code, message}) gets its exit code back on the other side.
 */
export const ERROR_EXIT_CODES: Readonly<Record<string, ExitCodeValue>> = {
  INTERNAL: ExitCode.INTERNAL,
  USAGE: ExitCode.USAGE,
  HOME_PATH_TOO_LONG: ExitCode.USAGE,
  DAEMON_NOT_RUNNING: ExitCode.UNREACHABLE,
  DAEMON_UNRESPONSIVE: ExitCode.UNREACHABLE,
  DAEMON_START_FAILED: ExitCode.UNREACHABLE,
  CLUSTER_UNREACHABLE: ExitCode.UNREACHABLE,
  // The control socket (mode 0600) belongs to another user.
  DAEMON_PERMISSION_DENIED: ExitCode.UNREACHABLE,
  NOT_FOUND: ExitCode.NOT_FOUND,
  OFFSET_OUT_OF_RANGE: ExitCode.NOT_FOUND,
  CONFLICT: ExitCode.CONFLICT,
  BAD_INPUT: ExitCode.BAD_INPUT,
  RECORD_TOO_LARGE: ExitCode.BAD_INPUT,
  KAFKA_ERROR: ExitCode.KAFKA,
  INTERRUPTED: ExitCode.INTERRUPTED,
  // Simulation commands (broker kill, faults...) pointed at a cluster that is not the local daemon.
  LOCAL_ONLY: ExitCode.USAGE,
  // `broker remove` of a broker that still holds replicas (without --move).
  BROKER_NOT_EMPTY: ExitCode.CONFLICT,
  // The controller would not move leadership (no other live in-sync replica, or --to is not one).
  FAILOVER_REFUSED: ExitCode.KAFKA,
  // The controller quorum has no majority (no leader can commit): metadata changes are frozen.
  QUORUM_NO_MAJORITY: ExitCode.KAFKA,
  // Control-socket protocol errors: a client and daemon that disagree is a bug, hence INTERNAL.
  BAD_REQUEST: ExitCode.INTERNAL,
  UNKNOWN_METHOD: ExitCode.INTERNAL,
}

export interface SluiceErrorOptions {
  /** Exit code; defaults from ERROR_EXIT_CODES by code, else 1. */
  exit?: number
  cause?: unknown
  /** True when retrying the same operation may succeed (a transient condition). */
  retriable?: boolean
  /** Extra lines a person needs (e.g. the end of the daemon's log), printed after the message. */
  details?: string[]
}

/** An expected operating error: printed as one line, mapped to a documented exit code. */
export class SluiceError extends Error {
  readonly code: string
  readonly exit: number
  readonly retriable: boolean
  readonly details: string[] | undefined

  constructor(code: string, message: string, opts: SluiceErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SluiceError'
    this.code = code
    this.exit = opts.exit ?? ERROR_EXIT_CODES[code] ?? ExitCode.INTERNAL
    this.retriable = opts.retriable ?? false
    this.details = opts.details
  }

  toJSON(): { code: string; message: string; details?: string[] } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message }
  }
}

export function usageError(message: string): SluiceError {
  return new SluiceError('USAGE', message)
}

/** Node's system errors carry a string `code` such as ENOENT or EPIPE. */
export function systemErrorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code
    if (typeof code === 'string') return code
  }
  return undefined
}
