/**
 * Reading the daemon's log from the outside: the last N lines, and following new lines as they
 * are appended (surviving a rotation to daemon.log.1 by noticing the file's inode change).
 */
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const CHUNK_BYTES = 64 * 1024
const FOLLOW_POLL_MS = 100

export interface LastLines {
  lines: string[]
  /** Where following should continue from. */
  endOffset: number
  ino: number
}

/** The last `count` complete lines of a file, reading backwards in chunks. Undefined if absent. */
export function readLastLines(file: string, count: number): LastLines | undefined {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const { size, ino } = fs.fstatSync(fd)
    let start = size
    const chunks: Buffer[] = []
    let newlines = 0
    // count + 1 newlines guarantee count whole lines (the file normally ends with a newline).
    // Bytes, not strings, until the end: a chunk boundary may split a UTF-8 character.
    while (start > 0 && newlines <= count) {
      const from = Math.max(0, start - CHUNK_BYTES)
      const buf = Buffer.alloc(start - from)
      fs.readSync(fd, buf, 0, buf.length, from)
      chunks.unshift(buf)
      newlines += countNewlines(buf)
      start = from
    }
    const lines = Buffer.concat(chunks).toString('utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return { lines: count === 0 ? [] : lines.slice(-count), endOffset: size, ino }
  } finally {
    fs.closeSync(fd)
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) n++
  return n
}

/**
 * Calls onLine for each line appended after `from` until `signal` aborts. Waits for the file if
 * it does not exist yet; starts over at offset 0 when the file is replaced or truncated.
 */
export async function followLines(
  file: string,
  from: { offset: number; ino?: number },
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let offset = from.offset
  let ino = from.ino
  let partial = Buffer.alloc(0)
  while (!signal.aborted) {
    let stat: fs.Stats | undefined
    try {
      stat = fs.statSync(file)
    } catch {
      stat = undefined
    }
    if (stat) {
      if ((ino !== undefined && stat.ino !== ino) || stat.size < offset) {
        offset = 0
        partial = Buffer.alloc(0)
      }
      ino = stat.ino
      if (stat.size > offset) {
        const fd = fs.openSync(file, 'r')
        try {
          const buf = Buffer.alloc(Math.min(stat.size - offset, 4 * CHUNK_BYTES))
          const n = fs.readSync(fd, buf, 0, buf.length, offset)
          offset += n
          let data = Buffer.concat([partial, buf.subarray(0, n)])
          // Only whole lines are decoded; the unfinished tail waits for the rest of its bytes.
          for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
            onLine(data.subarray(0, nl).toString('utf8'))
            data = data.subarray(nl + 1)
          }
          partial = Buffer.from(data)
        } finally {
          fs.closeSync(fd)
        }
        continue
      }
    }
    await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined)
  }
}
