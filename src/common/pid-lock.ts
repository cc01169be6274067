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
import { isProcessAlive, processStartTicks } from './process-alive.js'

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

// Lock files this process holds, to tell "we hold it" from "a dead daemon had our pid".
const heldHere = new Set<string>()

interface Owner {
  pid: number
  startTicks: number
}

/**
 * `<file>.owner` names the process start time of the lock's writer. Written before the link
 * that takes the lock, so once the pid file names a process, its owner record (if any) is
 * already there. Racing starters may overwrite it with their own pid; a record that does not
 * name the pid in the lock is ignored, which only makes the check more conservative.
 */
function ownerFile(file: string): string {
  return `${file}.owner`
}

function readOwner(file: string): Owner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(ownerFile(file), 'utf8')) as Partial<Owner>
    return typeof o.pid === 'number' && typeof o.startTicks === 'number' ? (o as Owner) : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `pid` is alive and is the process that took the lock. A pid reused after a reboot or
 * a container restart (the daemon was pid 27; another program is pid 27 now) has a different
 * start time than the owner record: it is not the holder.
 */
function holderAlive(file: string, pid: number): boolean {
  if (pid === process.pid) return heldHere.has(file)
  if (!isProcessAlive(pid)) return false
  const owner = readOwner(file)
  if (owner?.pid !== pid) return true
  const startTicks = processStartTicks(pid)
  return startTicks === undefined || startTicks === owner.startTicks
}

/** The pid of the live process holding the lock, or undefined when free or stale. */
export function lockHolder(file: string): number | undefined {
  const pid = readLockPid(file)
  return pid !== undefined && holderAlive(file, pid) ? pid : undefined
}

function tryCreate(file: string, pid: number): boolean {
  const tmp = `${file}.${pid}.tmp`
  const startTicks = processStartTicks(pid)
  if (startTicks !== undefined) {
    fs.writeFileSync(tmp, JSON.stringify({ pid, startTicks } satisfies Owner))
    fs.renameSync(tmp, ownerFile(file))
  }
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
    if (now === stalePid && (now === undefined || !holderAlive(file, now))) fs.rmSync(file, { force: true })
  } finally {
    fs.rmSync(breakFile, { force: true })
  }
}

/** Removes the lock file if its process is dead. False when a live process holds it. */
export function removeStaleLock(file: string): boolean {
  const pid = readLockPid(file)
  if (pid !== undefined && holderAlive(file, pid)) return false
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
      if (pid === process.pid) heldHere.add(file)
      return {
        file,
        pid,
        release() {
          if (pid === process.pid) heldHere.delete(file)
          if (readLockPid(file) !== pid) return
          if (readOwner(file)?.pid === pid) fs.rmSync(ownerFile(file), { force: true })
          fs.rmSync(file, { force: true })
        },
      }
    }
    const holder = readLockPid(file)
    if (holder !== undefined && holderAlive(file, holder)) throw new LockHeldError(file, holder)
    breakStale(file, holder)
    if (attempt > 0) await sleep(2 + (attempt % 5))
  }
  throw new Error(`could not take ${file} after ${ATTEMPTS_MAX} attempts`)
}
