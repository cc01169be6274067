import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { acquirePidLock, lockHolder, LockHeldError, readLockPid, removeStaleLock } from '../../src/common/pid-lock.js'

let dir: string
let file: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'))
  file = path.join(dir, 'daemon.pid')
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

// A pid that is certainly not running: above the kernel's pid_max default range.
const DEAD_PID = 2 ** 22 + 12345

describe('common/pid-lock', () => {
  test('acquire writes our pid; release removes the file', async () => {
    const lock = await acquirePidLock(file)
    expect(readLockPid(file)).toBe(process.pid)
    expect(lockHolder(file)).toBe(process.pid)
    if (process.platform === 'linux') expect(fs.readdirSync(dir)).toEqual(['daemon.pid', 'daemon.pid.owner'])
    lock.release()
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('a live holder refuses the lock with its pid', async () => {
    fs.writeFileSync(file, `${process.ppid}\n`)
    const err = await acquirePidLock(file).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LockHeldError)
    expect((err as LockHeldError).pid).toBe(process.ppid)
  })

  test('a dead holder is stale: the lock is taken over', async () => {
    fs.writeFileSync(file, `${DEAD_PID}\n`)
    expect(lockHolder(file)).toBeUndefined()
    const lock = await acquirePidLock(file)
    expect(readLockPid(file)).toBe(process.pid)
    lock.release()
  })

  test('garbage in the pid file is stale', async () => {
    fs.writeFileSync(file, 'not a pid')
    const lock = await acquirePidLock(file)
    expect(readLockPid(file)).toBe(process.pid)
    lock.release()
  })

  test('release leaves a lock that is no longer ours', async () => {
    const lock = await acquirePidLock(file)
    fs.writeFileSync(file, `${process.ppid}\n`)
    lock.release()
    expect(readLockPid(file)).toBe(process.ppid)
  })

  test('two acquirers over one stale lock: exactly one wins', async () => {
    fs.writeFileSync(file, `${DEAD_PID}\n`)
    // Distinct fake pids that are "alive" (ours and our parent's) so each loser sees a live holder.
    const results = await Promise.allSettled([acquirePidLock(file, process.pid), acquirePidLock(file, process.ppid)])
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(lost.reason).toBeInstanceOf(LockHeldError)
  })

  test('removeStaleLock removes a dead holder only', () => {
    fs.writeFileSync(file, `${process.ppid}\n`)
    expect(removeStaleLock(file)).toBe(false)
    expect(fs.existsSync(file)).toBe(true)
    fs.writeFileSync(file, `${DEAD_PID}\n`)
    expect(removeStaleLock(file)).toBe(true)
    expect(fs.existsSync(file)).toBe(false)
  })

  test('our own pid in a file we did not write (pid reuse after a restart) is stale', async () => {
    fs.writeFileSync(file, `${process.pid}\n`)
    expect(lockHolder(file)).toBeUndefined()
    const lock = await acquirePidLock(file)
    expect(lockHolder(file)).toBe(process.pid)
    lock.release()
  })

  test.runIf(process.platform === 'linux')('a live pid that is not the process that took the lock is not the holder', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
    try {
      await new Promise((resolve) => child.once('spawn', resolve))
      const lock = await acquirePidLock(file, child.pid)
      expect(lockHolder(file)).toBe(child.pid)
      // As after a reboot: the same pid, a different process (another start time).
      const owner = JSON.parse(fs.readFileSync(`${file}.owner`, 'utf8'))
      fs.writeFileSync(`${file}.owner`, JSON.stringify({ ...owner, startTicks: owner.startTicks - 1 }))
      expect(lockHolder(file)).toBeUndefined()
      lock.release()
      expect(fs.existsSync(file)).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
