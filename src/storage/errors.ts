/**
 * Operating errors of the storage layer: one table of string codes, each saying whether it is
 * expected (a client asked for something the log cannot give: print one line, answer with a Kafka
 * error code) or a fault of the store itself. Programmer errors are assertions, not StorageErrors.
 */

export const STORAGE_ERRORS = {
  /** read/deleteRecordsBefore outside [logStartOffset, LEO]. Kafka: OFFSET_OUT_OF_RANGE. */
  OFFSET_OUT_OF_RANGE: { expected: true, retriable: false },
  /** Batch framing is wrong (short, bad length, not magic 2). Kafka: CORRUPT_MESSAGE. */
  INVALID_BATCH: { expected: true, retriable: false },
  /** Follower append that does not start at (or after) LEO, or offsets not increasing. */
  UNEXPECTED_APPEND_OFFSET: { expected: true, retriable: false },
  /** The partition was deleted while this log object was still in use. */
  PARTITION_DELETED: { expected: true, retriable: false },
  /** Used after close(), or before open(). */
  STORE_CLOSED: { expected: true, retriable: false },
  /** Another process holds the LevelDB lock of this broker's directory. */
  STORE_LOCKED: { expected: true, retriable: true },
  /** A write failed: the store stops accepting work (Kafka takes the log dir offline). */
  STORE_FAILED: { expected: false, retriable: false },
  /** LevelDB reported an error; see `cause`. Kafka: KAFKA_STORAGE_ERROR. */
  IO_ERROR: { expected: false, retriable: false },
  /** Persisted state contradicts itself (a bug, or files edited by hand). */
  CORRUPT: { expected: false, retriable: false },
  /** A stored batch failed its check on the way out (CRC-32C, framing, offset, LevelDB checksum,
   * or missing): never served. `offsets` is the batch's range. Kafka: KAFKA_STORAGE_ERROR. */
  CORRUPT_BATCH: { expected: false, retriable: false },
} as const satisfies Record<string, { expected: boolean; retriable: boolean }>

export type StorageErrorCode = keyof typeof STORAGE_ERRORS

export class StorageError extends Error {
  readonly code: StorageErrorCode
  readonly expected: boolean
  readonly retriable: boolean
  /** CORRUPT_BATCH: the offsets of the bad batch (first and last, inclusive). */
  readonly offsets: { first: number; last: number } | undefined

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown; offsets?: { first: number; last: number } }) {
    super(message, options)
    this.name = 'StorageError'
    this.code = code
    this.offsets = options?.offsets
    this.expected = STORAGE_ERRORS[code].expected
    this.retriable = STORAGE_ERRORS[code].retriable
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code)
}

/** What a store failure says about its cause: a full disk (ENOSPC), and the file being written. */
export interface FailureCause {
  diskFull: boolean
  /** The file LevelDB (or the OS) named, when it named one. */
  path: string | null
  /** The innermost message, e.g. "IO error: /home/x/brokers/2/000003.log: No space left on device". */
  message: string
}

/**
 * Walks the cause chain of a store failure. LevelDB reports a full disk as LEVEL_IO_ERROR with
 * the message "IO error: <file>: No space left on device"; Node's fs as code ENOSPC.
 */
export function describeFailure(error: unknown): FailureCause {
  let message = error instanceof Error ? error.message : String(error)
  let diskFull = false
  let file: string | null = null
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    message = e.message
    const code = (e as { code?: unknown }).code
    if (code === 'ENOSPC' || /No space left on device/i.test(e.message)) diskFull = true
    const named = /IO error: (.+?): [^:]+$/.exec(e.message) ?? /, \w+ '([^']+)'$/.exec(e.message)
    if (named) file = named[1]!
  }
  return { diskFull, path: file, message }
}

/** Programmer errors: a broken precondition inside sluice, never a user's input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`storage assertion failed: ${message}`)
}
