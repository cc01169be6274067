/**
 * A LevelDB store on a full disk (a small tmpfs; needs root, skipped otherwise): the failing write
 * is refused and never acknowledged, the store goes offline and tells its owner once with a cause
 * that reads as a full disk, and a new store over the same directory, once there is room, has
 * every acknowledged batch.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeFailure, isStorageError, type StorageError } from '../../src/storage/errors.js'
import { LevelLogStore } from '../../src/storage/leveldb.js'
import { mountNearlyFull, unmountTmpfs } from '../helpers/tmpfs.js'
import { makeBatch } from './batches.js'

describe('storage on a full disk', () => {
  it('refuses, goes offline once with an ENOSPC cause, and loses nothing acknowledged', async (ctx) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-full-'))
    mountNearlyFull(dir, ctx)
    try {
      const dbDir = path.join(dir, 'db')
      const store = new LevelLogStore(dbDir)
      await store.open()
      const failures: StorageError[] = []
      store.onFailure((e) => failures.push(e))
      const log = await store.partition('t', 0)
      let acked = 0
      let refused: unknown
      for (let i = 0; i < 10_000 && refused === undefined; i++) {
        try {
          await log.appendAsLeader(makeBatch({ records: 1, payloadBytes: 64 * 1024, tag: `b${i}` }), 0)
          acked++
        } catch (error) {
          refused = error
        }
      }
      expect(isStorageError(refused, 'STORE_FAILED')).toBe(true)
      expect(failures).toHaveLength(1)
      expect(store.failed).toBe(failures[0])
      const cause = describeFailure(failures[0])
      expect(cause.diskFull).toBe(true)
      expect(cause.path?.startsWith(dbDir)).toBe(true)
      expect(log.logEndOffset).toBe(acked)
      await expect(log.appendAsLeader(makeBatch({ tag: 'after' }), 0)).rejects.toSatisfy((e) => isStorageError(e, 'STORE_FAILED'))
      await store.close()

      fs.rmSync(path.join(dir, 'filler'))
      const back = new LevelLogStore(dbDir)
      await back.open()
      try {
        const reopened = await back.partition('t', 0)
        expect(reopened.logEndOffset).toBeGreaterThanOrEqual(acked)
        const batches = await reopened.read(0, Number.MAX_SAFE_INTEGER, acked)
        expect(batches).toHaveLength(acked)
      } finally {
        await back.close()
      }
    } finally {
      unmountTmpfs(dir)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
