/**
 * The daemon's log: one human-readable line per record,
 *   2026-11-23T19:00:00.123Z INFO  broker listening id=1 port=9092
 * written synchronously to every sink, so a crash right after a log call still leaves the line
 * in the file (the log is how `daemon start` explains a failed start).
 */
import fs from 'node:fs'
import type { Logger } from '../common/logger.js'

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'

export interface DaemonLogger extends Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  /** Closes file sinks; later calls are dropped. */
  close(): void
}

export type LogSink = (line: string) => void

const PLAIN_VALUE = /^[^\s"=]+$/

function formatValue(value: unknown): string {
  if (value instanceof Error) value = value.message
  if (typeof value === 'string') return PLAIN_VALUE.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (value === null) return 'null'
  return JSON.stringify(value) ?? String(value)
}

/** Formats one record. Newlines are escaped so that one record is always one line. */
export function formatLogLine(time: Date, level: LogLevel, msg: string, fields?: Record<string, unknown>): string {
  let line = `${time.toISOString()} ${level.padEnd(5)} ${msg.replaceAll('\n', '\\n')}`
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue
      line += ` ${key}=${formatValue(value).replaceAll('\n', '\\n')}`
    }
  }
  return line + '\n'
}

export interface FileSink {
  write: LogSink
  close(): void
}

/** Room kept beside the log for the lines that say the disk is full (freed on the first ENOSPC). */
export const LOG_RESERVE_BYTES = 256 * 1024

/**
 * Appends to a file (O_APPEND, so the daemon and its redirected stdio interleave whole lines).
 *
 * A full disk must not silence the log, since the log is where the daemon says the disk is full:
 * a reserve file (`<file>.reserve`, LOG_RESERVE_BYTES) is set aside when the sink opens, and the
 * first write that fails with ENOSPC deletes it and writes again. A line that still does not fit
 * is taken back whole (truncated to where it began), so the log never ends mid-line.
 */
export function fileSink(file: string, reserveBytes = LOG_RESERVE_BYTES): FileSink {
  let fd: number | undefined = fs.openSync(file, 'a', 0o600)
  const reserve = `${file}.reserve`
  let reserved = false
  try {
    if (reserveBytes > 0) {
      fs.writeFileSync(reserve, Buffer.alloc(reserveBytes), { mode: 0o600 })
      reserved = true
    }
  } catch {
    fs.rmSync(reserve, { force: true })
  }
  const writeLine = (out: number, line: string): void => {
    const bytes = Buffer.from(line)
    let written = 0
    while (written < bytes.length) {
      try {
        written += fs.writeSync(out, bytes, written)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC' && reserved) {
          reserved = false
          fs.rmSync(reserve, { force: true })
          continue
        }
        if (written > 0) fs.ftruncateSync(out, fs.fstatSync(out).size - written)
        throw error
      }
    }
  }
  return {
    write(line) {
      if (fd !== undefined) writeLine(fd, line)
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd)
      fd = undefined
      if (reserved) fs.rmSync(reserve, { force: true })
      reserved = false
    },
  }
}

export function streamSink(stream: NodeJS.WritableStream): LogSink {
  return (line) => {
    stream.write(line)
  }
}

export interface LoggerOptions {
  sinks: LogSink[]
  /** Called on close(), e.g. to close file sinks. */
  onClose?: () => void
  debug?: boolean
  clock?: () => Date
}

export function createLogger(opts: LoggerOptions): DaemonLogger {
  const clock = opts.clock ?? (() => new Date())
  let open = true
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (!open) return
    const line = formatLogLine(clock(), level, msg, fields)
    for (const sink of opts.sinks) {
      try {
        sink(line)
      } catch {
        // A full disk or a closed stderr must not take the daemon down with it.
      }
    }
  }
  return {
    debug: (msg, fields) => {
      if (opts.debug) emit('DEBUG', msg, fields)
    },
    info: (msg, fields) => emit('INFO', msg, fields),
    warn: (msg, fields) => emit('WARN', msg, fields),
    error: (msg, fields) => emit('ERROR', msg, fields),
    close: () => {
      if (!open) return
      open = false
      opts.onClose?.()
    },
  }
}
