/** Assertions shared by the storage tests. */
import { expect } from 'vitest'
import { isStorageError, type StorageErrorCode } from '../../src/storage/errors.js'
import type { PartitionLog } from '../../src/storage/types.js'
import { describeBatch } from './batches.js'

export async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(isStorageError(error, code), `expected StorageError ${code}, got ${String(error)}`).toBe(true)
}

/** Reads everything from `from` up to LEO, one read at a time, and returns the batch tags. */
export async function readTags(log: PartitionLog, from = log.logStartOffset, limit = log.logEndOffset): Promise<string[]> {
  const tags: string[] = []
  let offset = from
  while (offset < limit) {
    const batches = await log.read(offset, 1, limit)
    if (batches.length === 0) break
    const d = describeBatch(batches[0]!)
    tags.push(d.tag)
    offset = d.lastOffset + 1
  }
  return tags
}
