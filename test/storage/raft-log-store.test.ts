/**
 * RaftLogStore: the conformance suite (raft-log-store-conformance.ts) against the memory store and
 * the LevelDB one, then what only LevelDB has: its directory lock, damage on disk,
 * offsets past 2^32 in its keys, fsynced writes, and a full disk (a small tmpfs; needs root,
 * skipped otherwise).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { describe, expect, it } from 'vitest'
import { MemoryRaftLogStore, type RaftLogEntry, type RaftLogStore } from '../../src/cluster/raft/log-store.js'
import { describeFailure, isStorageError } from '../../src/storage/errors.js'
import { LevelRaftLogStore } from '../../src/storage/raft-log-store.js'
import { mountNearlyFull, unmountTmpfs } from '../helpers/tmpfs.js'
import { runRaftLogStoreConformance } from './raft-log-store-conformance.js'

function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sluice-raft-${name}-`))
}

runRaftLogStoreConformance('memory', async () => {
  // The memory store's durable state lives in the object: a restart opens the same one.
  const store = new MemoryRaftLogStore()
  return { store: () => store, cleanup: async () => {} }
})

runRaftLogStoreConformance('leveldb', async () => {
  const dir = tempDir('conformance')
  return { store: (): RaftLogStore => new LevelRaftLogStore(dir), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) }
})

const entry = (offset: number, epoch: number, bytes = 8): RaftLogEntry => ({ offset, epoch, value: Buffer.alloc(bytes, offset % 251) })

describe('LevelRaftLogStore', () => {
  it('refuses a second store on a directory in use (STORE_LOCKED)', async () => {
    const dir = tempDir('locked')
    const first = new LevelRaftLogStore(dir)
    await first.open()
    try {
      await expect(new LevelRaftLogStore(dir).open()).rejects.toSatisfy((e) => isStorageError(e, 'STORE_LOCKED'))
    } finally {
      await first.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses to open a log with a hole in it or an unreadable quorum state (CORRUPT), and lets go of the directory', async () => {
    const dir = tempDir('corrupt')
    try {
      const store = new LevelRaftLogStore(dir)
      await store.open()
      await store.append([entry(0, 1), entry(1, 1), entry(2, 1)])
      await store.close()
      const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open()
      const keys = await db.keys({ gte: Buffer.from('e'), lt: Buffer.from('f') }).all()
      await db.del(keys[1]!) // entry 1: a hole between 0 and 2
      await db.close()
      await expect(new LevelRaftLogStore(dir).open()).rejects.toSatisfy((e) => isStorageError(e, 'CORRUPT'))
      await expect(new LevelRaftLogStore(dir).open()).rejects.toSatisfy((e) => isStorageError(e, 'CORRUPT'))

      await db.open()
      await db.clear()
      await db.put(Buffer.from('q'), Buffer.from('{"epoch":'))
      await db.close()
      await expect(new LevelRaftLogStore(dir).open()).rejects.toSatisfy((e) => isStorageError(e, 'CORRUPT'))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('keeps entries in offset order past 2^32 (keys are big-endian), with fsynced writes', async () => {
    const dir = tempDir('big')
    const start = 2 ** 32 - 2
    try {
      const store = new LevelRaftLogStore(dir, { sync: true })
      await store.open()
      await store.saveSnapshot({ offset: start, epoch: 3, data: Buffer.from('image') })
      await store.append([start, start + 1, start + 2, start + 3].map((o) => entry(o, 3)))
      await store.close()
      const back = new LevelRaftLogStore(dir)
      const opened = await back.open()
      expect(opened.entries.map((e) => e.offset - start)).toEqual([0, 1, 2, 3])
      expect(opened.snapshot?.offset).toBe(start)
      await back.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('on a full disk: refuses with STORE_FAILED (a full-disk cause), then reopens once there is room and loses nothing acknowledged', async (ctx) => {
    const dir = tempDir('full')
    mountNearlyFull(dir, ctx)
    try {
      const dbDir = path.join(dir, 'voter-1')
      const store = new LevelRaftLogStore(dbDir)
      await store.open()
      await store.saveQuorumState({ epoch: 1, votedFor: 1, leaderId: 1 })
      const acked: RaftLogEntry[] = []
      let refused: unknown
      for (let offset = 0; offset < 10_000 && refused === undefined; offset++) {
        const e = entry(offset, 1, 64 * 1024)
        try {
          await store.append([e])
          acked.push(e)
        } catch (error) {
          refused = error
        }
      }
      expect(isStorageError(refused, 'STORE_FAILED')).toBe(true)
      const cause = describeFailure(refused)
      expect(cause.diskFull).toBe(true)
      expect(cause.path?.startsWith(dbDir)).toBe(true)
      // Still full: the next write reopens LevelDB and fails again, reported the same way.
      await expect(store.append([entry(acked.length, 1, 64 * 1024)])).rejects.toSatisfy((e) => isStorageError(e, 'STORE_FAILED'))

      fs.rmSync(path.join(dir, 'filler'))
      // Room again: the next write reopens LevelDB and goes through.
      await store.saveQuorumState({ epoch: 2, votedFor: null, leaderId: null })
      await store.close()

      const back = new LevelRaftLogStore(dbDir)
      const opened = await back.open()
      try {
        expect(opened.quorum).toEqual({ epoch: 2, votedFor: null, leaderId: null })
        // Every acknowledged entry, as written; a refused one may be there too (LevelDB may have
        // written it before the error), never anything else.
        expect(opened.entries.length).toBeGreaterThanOrEqual(acked.length)
        expect(opened.entries.length).toBeLessThanOrEqual(acked.length + 2)
        for (const [i, e] of opened.entries.entries()) {
          expect([e.offset, e.epoch, Buffer.from(e.value).equals(Buffer.from(entry(i, 1, 64 * 1024).value))]).toEqual([i, 1, true])
        }
        await back.append([entry(opened.entries.length, 2)])
      } finally {
        await back.close()
      }
    } finally {
      unmountTmpfs(dir)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
