/**
 * The one-daemon-per-home lock: a pid file created atomically, recovered when its process is dead.
 *
 * Creation is atomic with its content (write a private temp file, then link(2) it into place,
 * which fails if the lock exists), so a reader never sees an empty pid file from a racing start.
 * Breaking a stale lock takes a second, short-lived lock (`daemon.pid.break`): without it, two
 * starters that both saw the same dead pid could each delete the file, and the second would
 * delete the lock the first had just taken.
 */
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { isProcessAlive } from './process-alive.js'

export class LockHeldError extends Error {
  readonly pid: number
  constructor(file: string, pid: number) {
    super(`${file} is held by running process ${pid}`)
    this.name = 'LockHeldError'
    this.pid = pid
  }
}

export interface PidLock {
  readonly file: string
  readonly pid: number
  /** Removes the pid file if it is still ours. Synchronous so it can run in an 'exit' handler. */
  release(): void
}

// A breaker that has held the break lock this long has died mid-way; its break lock is stale.
const BREAK_LOCK_STALE_MS = 5_000
const ATTEMPTS_MAX = 50

/** Reads the pid in a lock file; undefined when absent or unreadable. */
export function readLockPid(file: string): number | undefined {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const pid = Number.parseInt(text.trim(), 10)
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

/** The pid of the live process holding the lock, or undefined when free or stale. */
export function lockHolder(file: string): number | undefined {
  const pid = readLockPid(file)
  return pid !== undefined && isProcessAlive(pid) ? pid : undefined
}

function tryCreate(file: string, pid: number): boolean {
  const tmp = `${file}.${pid}.tmp`
  fs.writeFileSync(tmp, `${pid}\n`, { mode: 0o644 })
  try {
    fs.linkSync(tmp, file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    fs.rmSync(tmp, { force: true })
  }
}

/** Removes `file` if it still names `stalePid`, under the break lock. */
function breakStale(file: string, stalePid: number | undefined): void {
  const breakFile = `${file}.break`
  try {
    fs.writeFileSync(breakFile, `${process.pid}\n`, { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    try {
      if (Date.now() - fs.statSync(breakFile).mtimeMs > BREAK_LOCK_STALE_MS) fs.rmSync(breakFile, { force: true })
    } catch {
      // Gone already: the other breaker finished.
    }
    return
  }
  try {
    const now = readLockPid(file)
    // Someone may have broken the lock and taken it since we looked: only remove what we saw.
    if (now === stalePid && (now === undefined || !isProcessAlive(now))) fs.rmSync(file, { force: true })
  } finally {
    fs.rmSync(breakFile, { force: true })
  }
}

/** Removes the lock file if its process is dead. False when a live process holds it. */
export function removeStaleLock(file: string): boolean {
  const pid = readLockPid(file)
  if (pid !== undefined && isProcessAlive(pid)) return false
  if (fs.existsSync(file)) breakStale(file, pid)
  return true
}

/**
 * Takes the lock for this process. Throws LockHeldError when a live process holds it.
 * Bounded: gives up after ATTEMPTS_MAX contended rounds (each a few ms).
 */
export async function acquirePidLock(file: string, pid = process.pid): Promise<PidLock> {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    if (tryCreate(file, pid)) {
      return {
        file,
        pid,
        release() {
          if (readLockPid(file) === pid) fs.rmSync(file, { force: true })
        },
      }
    }
    const holder = readLockPid(file)
    if (holder === pid) throw new Error(`${file} already names this process (${pid})`)
    if (holder !== undefined && isProcessAlive(holder)) throw new LockHeldError(file, holder)
    breakStale(file, holder)
    if (attempt > 0) await sleep(2 + (attempt % 5))
  }
  throw new Error(`could not take ${file} after ${ATTEMPTS_MAX} attempts`)
}
