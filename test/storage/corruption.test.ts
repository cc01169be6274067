/**
 * Corruption is noticed, never served: a stored batch whose bytes changed on disk (or vanished)
 * fails the read with CORRUPT_BATCH and its offsets, and a log that lost writes while its store was
 * closed says so when it opens (the clean-shutdown record).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../../src/storage/errors.js'
import { decodeState, encodeState, PartitionKeys } from '../../src/storage/keys.js'
import { CLEAN_SHUTDOWN_FILE, LevelLogStore } from '../../src/storage/leveldb.js'
import { describeBatch, makeBatch } from './batches.js'
import { readTags } from './helpers.js'

const TOPIC = '0123456789abcdef0123456789abcdef'
const dirs: string[] = []

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-corruption-'))
  dirs.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A closed store with 5 batches of 3 records (offsets 0-14) in partition 0. */
async function storeWithFiveBatches(dir: string): Promise<void> {
  const store = new LevelLogStore(dir)
  await store.open()
  const log = await store.partition(TOPIC, 0)
  for (let i = 0; i < 5; i++) await log.appendAsLeader(makeBatch({ records: 3, tag: `b${i}`, payloadBytes: 200 }), 0)
  await store.close()
}

/** Rewrites the stored value of the batch at `baseOffset` with LevelDB directly. */
async function editStoredBatch(dir: string, baseOffset: number, edit: (bytes: Buffer | undefined) => Buffer | null): Promise<void> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  const key = new PartitionKeys(TOPIC, 0).data(baseOffset)
  const value = edit(await db.get(key))
  if (value === null) await db.del(key)
  else await db.put(key, value)
  await db.close()
}

async function readError(dir: string, offset: number): Promise<{ error: StorageError; store: LevelLogStore }> {
  const store = new LevelLogStore(dir)
  await store.open()
  const log = await store.partition(TOPIC, 0)
  const error = await log.read(offset, 1024 * 1024, log.logEndOffset).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StorageError)
  return { error: error as StorageError, store }
}

describe('a corrupt stored batch', () => {
  it('fails the read with CORRUPT_BATCH and its offsets when a byte of its records changed', async () => {
    const dir = tempDir()
    await storeWithFiveBatches(dir)
    await editStoredBatch(dir, 6, (bytes) => {
      const bad = Buffer.from(bytes!)
      bad[120] = bad[120]! ^ 0xff
      return bad
    })
    const { error, store } = await readError(dir, 0)
    expect(error.code).toBe('CORRUPT_BATCH')
    expect(error.offsets).toEqual({ first: 6, last: 8 })
    expect(error.message).toMatch(/CRC-32C/)
    // The batches before it still read: the check refuses the bad one only.
    const log = await store.partition(TOPIC, 0)
    expect((await log.read(0, 1, 6)).map((b) => describeBatch(b).tag)).toEqual(['b0'])
    await store.close()
  })

  it('refuses a batch stored under another offset, and garbage that is not a batch', async () => {
    const dir = tempDir()
    await storeWithFiveBatches(dir)
    await editStoredBatch(dir, 3, () => makeBatch({ baseOffset: 9, records: 3, tag: 'moved' }))
    await editStoredBatch(dir, 12, () => Buffer.alloc(64 * 1024, 0x5a))
    const first = await readError(dir, 3)
    expect(first.error.code).toBe('CORRUPT_BATCH')
    expect(first.error.offsets).toEqual({ first: 3, last: 5 })
    await first.store.close()
    const second = await readError(dir, 12)
    expect(second.error.offsets).toEqual({ first: 12, last: 14 })
    await second.store.close()
  })

  it('fails the read when a batch the index holds is missing from LevelDB', async () => {
    const dir = tempDir()
    await storeWithFiveBatches(dir)
    await editStoredBatch(dir, 9, () => null)
    const { error, store } = await readError(dir, 7)
    expect(error.code).toBe('CORRUPT_BATCH')
    expect(error.offsets).toEqual({ first: 9, last: 11 })
    expect(error.message).toMatch(/missing/)
    await store.close()
  })

  it('recovers by truncating before the bad batch and appending the range again', async () => {
    const dir = tempDir()
    await storeWithFiveBatches(dir)
    await editStoredBatch(dir, 6, (bytes) => Buffer.concat([bytes!.subarray(0, 100), Buffer.alloc(bytes!.length - 100)]))
    const { error, store } = await readError(dir, 6)
    const log = await store.partition(TOPIC, 0)
    await log.truncateTo(error.offsets!.first)
    for (const [i, base] of [6, 9, 12].entries()) await log.appendAsFollower(makeBatch({ baseOffset: base, records: 3, tag: `again${i}` }))
    expect(await readTags(log)).toEqual(['b0', 'b1', 'again0', 'again1', 'again2'])
    await store.close()
  })
})

describe('a log that lost writes while its store was closed', () => {
  it('says which offsets it held at the last clean close and lost since', async () => {
    const dir = tempDir()
    await storeWithFiveBatches(dir)
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true)
    // What a cut write-ahead log does: the last writes are gone, consistently (state and batches).
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open()
    const keys = new PartitionKeys(TOPIC, 0)
    const state = decodeState((await db.get(keys.state()))!, 'test')
    await db.batch([
      { type: 'del', key: keys.data(12) },
      { type: 'del', key: keys.index(12) },
      { type: 'put', key: keys.state(), value: encodeState({ ...state, logEndOffset: 12, highWatermark: Math.min(state.highWatermark, 12) }) },
    ])
    await db.close()

    const store = new LevelLogStore(dir)
    await store.open()
    // The record vouches for one close only: a crash from now on must not compare with it.
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(false)
    const log = await store.partition(TOPIC, 0)
    expect(log.logEndOffset).toBe(12)
    expect(log.lostAtOpen).toEqual({ first: 12, last: 14 })
    await store.close()

    const again = new LevelLogStore(dir)
    await again.open()
    expect((await again.partition(TOPIC, 0)).lostAtOpen).toBeNull()
    await again.close()
  })

  it('compares nothing after a close that was not clean', async () => {
    const dir = tempDir()
    await storeWithFiveBatches(dir)
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE))
    const store = new LevelLogStore(dir)
    await store.open()
    expect((await store.partition(TOPIC, 0)).lostAtOpen).toBeNull()
    await store.close()
  })
})
