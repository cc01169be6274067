/**
 * The daemon's log: one human-readable line per record,
 *   2026-11-23T19:00:00.123Z INFO  broker listening id=1 port=9092
 * written synchronously to every sink, so a crash right after a log call still leaves the line
 * in the file (the log is how `daemon start` explains a failed start).
 */
import fs from 'node:fs'
import type { Logger } from './cluster.js'

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

/** Appends to a file (O_APPEND, so the daemon and its redirected stdio interleave whole lines). */
export function fileSink(file: string): FileSink {
  let fd: number | undefined = fs.openSync(file, 'a', 0o600)
  return {
    write(line) {
      if (fd !== undefined) fs.writeSync(fd, line)
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd)
      fd = undefined
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
