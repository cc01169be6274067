/**
 * Seeded random operations against a store, checked after every step against a plain model of a
 * Kafka log (an array of batches). Covers the interleavings the hand-written cases do not:
 * truncation after retention, reopen in the middle, reads racing concurrent appends, index chunks
 * sealed, cut and dropped (the LevelDB harness runs with tiny chunks).
 */
import { expect, it } from 'vitest'
import type { LogStore, PartitionLog } from '../../src/storage/types.js'
import { describeBatch, makeBatch } from './batches.js'
import { expectStorageError } from './helpers.js'

interface ModelBatch {
  base: number
  last: number
  tag: string
  ts: number
  size: number
}

class Model {
  batches: ModelBatch[] = []
  logStart = 0
  leo = 0
  hwm = 0

  get size(): number {
    return this.batches.reduce((n, b) => n + b.size, 0)
  }

  positionFor(offset: number): number {
    const pos = this.batches.findIndex((b) => b.last >= offset)
    return pos < 0 ? this.batches.length : pos
  }

  truncateTo(offset: number): void {
    if (offset >= this.leo) return
    const pos = this.positionFor(offset)
    let end = pos < this.batches.length ? Math.min(offset, this.batches[pos]!.base) : offset
    if (end < this.logStart) {
      end = Math.min(offset, this.logStart)
      this.logStart = end
    }
    this.batches = this.batches.slice(0, pos)
    this.leo = end
    this.hwm = Math.min(this.hwm, end)
  }

  deleteBefore(offset: number): void {
    if (offset <= this.logStart) return
    this.batches = this.batches.filter((b) => b.last >= offset)
    this.logStart = offset
    this.hwm = Math.max(this.hwm, offset)
  }

  retention(nowMs: number, retentionMs: number, retentionBytes: number): number {
    let count = 0
    const ok = (i: number): boolean => i < this.batches.length && this.batches[i]!.last < this.hwm
    if (retentionMs >= 0) while (ok(count) && nowMs - this.batches[count]!.ts > retentionMs) count++
    if (retentionBytes >= 0) {
      let remaining = this.size - this.batches.slice(0, count).reduce((n, b) => n + b.size, 0)
      while (ok(count) && remaining - this.batches[count]!.size >= retentionBytes) remaining -= this.batches[count++]!.size
    }
    if (count === 0) return 0
    const next = count < this.batches.length ? this.batches[count]!.base : this.leo
    this.batches = this.batches.slice(count)
    this.logStart = Math.max(this.logStart, next)
    return count
  }

  read(offset: number, maxBytes: number, maxOffsetExclusive: number): ModelBatch[] {
    const limit = Math.min(maxOffsetExclusive, this.leo)
    const out: ModelBatch[] = []
    let total = 0
    for (let pos = this.positionFor(offset); pos < this.batches.length; pos++) {
      const b = this.batches[pos]!
      if (b.base >= limit || (out.length > 0 && total + b.size > maxBytes)) break
      out.push(b)
      total += b.size
    }
    return out
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Access = () => { store: LogStore; reopen: () => Promise<LogStore> }

const TOPIC = 'model-topic'

async function check(log: PartitionLog, model: Model, rand: () => number): Promise<void> {
  expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([model.logStart, model.leo, model.hwm])
  expect([log.batchCount, log.sizeBytes]).toEqual([model.batches.length, model.size])
  const span = model.leo - model.logStart
  const offset = model.logStart + Math.floor(rand() * (span + 1))
  const maxBytes = Math.floor(rand() * 400)
  const limit = offset + Math.floor(rand() * (span + 3))
  const got = await log.read(offset, maxBytes, limit)
  const want = model.read(offset, maxBytes, limit)
  expect(got.map((b) => describeBatch(b)).map((d) => `${d.baseOffset}:${d.tag}`)).toEqual(want.map((b) => `${b.base}:${b.tag}`))
  if (model.logStart > 0) await expectStorageError(log.read(model.logStart - 1, 1, model.leo), 'OFFSET_OUT_OF_RANGE')
  await expectStorageError(log.read(model.leo + 1, 1, model.leo + 2), 'OFFSET_OUT_OF_RANGE')
  const ts = 1000 + Math.floor(rand() * 120)
  const first = model.batches.find((b) => b.ts >= ts)
  expect(await log.offsetForTimestamp(ts)).toEqual(first ? { offset: Math.max(first.base, model.logStart), timestamp: first.ts } : null)
}

async function runSeed(seed: number, steps: number, access: Access): Promise<void> {
  const rand = mulberry32(seed)
  const pick = (n: number): number => Math.floor(rand() * n)
  const model = new Model()
  let log = await access().store.partition(TOPIC, seed)
  let serial = 0
  for (let step = 0; step < steps; step++) {
    const roll = rand()
    if (roll < 0.5) {
      // Several appends in flight at once: they share group commits and must keep call order.
      const appends = 1 + pick(4)
      const pending: Promise<unknown>[] = []
      for (let i = 0; i < appends; i++) {
        const records = 1 + pick(4)
        const ts = 1000 + step + pick(20) - 10
        const tag = `${seed}-${serial++}`
        const batch = makeBatch({ records, maxTimestamp: ts, tag, payloadBytes: 10 + pick(60) })
        model.batches.push({ base: model.leo, last: model.leo + records - 1, tag, ts, size: batch.length })
        model.leo += records
        pending.push(log.appendAsLeader(batch, 0))
      }
      await Promise.all(pending)
    } else if (roll < 0.62) {
      const hwm = pick(model.leo + 4)
      log.setHighWatermark(hwm)
      model.hwm = Math.min(Math.max(hwm, model.logStart), model.leo)
    } else if (roll < 0.7) {
      const offset = Math.max(0, model.leo - pick(12))
      await log.truncateTo(offset)
      model.truncateTo(offset)
    } else if (roll < 0.76) {
      const offset = model.logStart + pick(Math.max(1, Math.min(model.leo - model.logStart, 10)) + 1)
      if (offset > model.leo) continue
      await log.deleteRecordsBefore(offset)
      model.deleteBefore(offset)
    } else if (roll < 0.84) {
      const nowMs = 1000 + step + pick(40)
      const retentionMs = rand() < 0.5 ? 15 + pick(30) : -1
      const retentionBytes = rand() < 0.5 ? pick(model.size + 1) : -1
      const deleted = await log.applyRetention({ nowMs, retentionMs, retentionBytes })
      expect(deleted).toBe(model.retention(nowMs, retentionMs, retentionBytes))
    } else if (roll < 0.88) {
      await access().reopen()
      log = await access().store.partition(TOPIC, seed)
    }
    await check(log, model, rand)
  }
  await access().reopen()
  await check(await access().store.partition(TOPIC, seed), model, rand)
}

export function runModelConformance(access: Access): void {
  it('seeded random operations agree with a model of the log', async () => {
    for (const seed of [11, 12, 13]) await runSeed(seed, 250, access)
  })
}
