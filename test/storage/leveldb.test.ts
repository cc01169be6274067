import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { batchStoreKey, encodeState, offsetOfKey, PartitionKeys } from '../../src/storage/keys.js'
import { BATCH_STORE_DIR, LevelLogStore, type LevelLogStoreOptions } from '../../src/storage/leveldb.js'
import { makeBatch, describeBatch } from './batches.js'
import { runCompactionConformance } from './compaction-conformance.js'
import { runLogStoreConformance } from './conformance.js'
import { expectStorageError, readTags } from './helpers.js'

const REPO = path.resolve(import.meta.dirname, '../..')

function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sluice-storage-${name}-`))
}

/** Keys per keyspace of a closed store's database (d data, i loose index, x chunks, s state, m meta). */
async function countKeys(dir: string): Promise<Record<string, number>> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  try {
    const counts: Record<string, number> = {}
    for (const key of await db.keys().all()) {
      const keyspace = String.fromCharCode(key[0]!)
      counts[keyspace] = (counts[keyspace] ?? 0) + 1
    }
    return { d: 0, i: 0, x: 0, s: 0, ...counts }
  } finally {
    await db.close()
  }
}

function levelHarness(opts: LevelLogStoreOptions) {
  return async () => {
    const dir = tempDir('conformance')
    return {
      open: async () => {
        const store = new LevelLogStore(dir, opts)
        await store.open()
        return store
      },
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
}

runLogStoreConformance('leveldb', levelHarness({}))
// Tiny index chunks and tail cache: chunk sealing, cutting and dropping, and reads from LevelDB.
runLogStoreConformance('leveldb, index chunks of 3, 4 KB tail cache', levelHarness({ indexChunkBatches: 3, tailCacheBytes: 4096 }))
// Every batch in the batch store, and batches split between the two stores by size.
runLogStoreConformance('leveldb, every batch in the batch store', levelHarness({ batchStoreMinBytes: 0, indexChunkBatches: 3, tailCacheBytes: 0 }))
runLogStoreConformance('leveldb, batches of 300 bytes and up in the batch store', levelHarness({ batchStoreMinBytes: 300, tailCacheBytes: 4096 }))
runCompactionConformance('leveldb', levelHarness({}))
runCompactionConformance('leveldb, batches of 300 bytes and up in the batch store', levelHarness({ batchStoreMinBytes: 300, tailCacheBytes: 0 }))
runCompactionConformance('leveldb, index chunks of 3, no tail cache', levelHarness({ indexChunkBatches: 3, tailCacheBytes: 0 }))

/** Transpiles the storage sources and the crash child into a runnable tree (Node 20 runs no TS). */
function buildCrashChild(dir: string): string {
  const files = [
    ...fs.readdirSync(path.join(REPO, 'src/storage')).map((f) => `src/storage/${f}`),
    // compaction.ts decodes and rebuilds batches with the protocol layer's record-batch code.
    ...fs.readdirSync(path.join(REPO, 'src/protocol')).map((f) => `src/protocol/${f}`),
    'test/storage/batches.ts',
    'test/storage/crash-child.ts',
  ].filter((f) => f.endsWith('.ts'))
  for (const file of files) {
    const source = fs.readFileSync(path.join(REPO, file), 'utf8')
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    })
    const target = path.join(dir, file.replace(/\.ts$/, '.js'))
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, out.outputText)
  }
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}')
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'))
  return path.join(dir, 'test/storage/crash-child.js')
}

describe('LevelLogStore', () => {
  it('loses no acknowledged append when the process is killed with SIGKILL', async () => {
    const work = tempDir('crash')
    let child: ReturnType<typeof spawn> | undefined
    try {
      const script = buildCrashChild(path.join(work, 'build'))
      const dataDir = path.join(work, 'broker')
      child = spawn(process.execPath, [script, dataDir, 'crash-topic'], { stdio: ['ignore', 'pipe', 'inherit'] })
      const acked: string[] = []
      let buffered = ''
      const running = child
      const exited = new Promise<NodeJS.Signals | null>((resolve) => running.on('exit', (_code, signal) => resolve(signal)))
      running.stdout!.setEncoding('utf8')
      running.stdout!.on('data', (chunk: string) => {
        buffered += chunk
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        acked.push(...lines)
        if (acked.length >= 3000 && !running.killed) running.kill('SIGKILL')
      })
      expect(await exited).toBe('SIGKILL')
      expect(acked.length).toBeGreaterThanOrEqual(3000)

      const store = new LevelLogStore(dataDir)
      await store.open()
      try {
        const logs = await Promise.all([0, 1, 2].map((p) => store.partition('crash-topic', p)))
        for (const line of acked) {
          const [p, base, tag] = line.split(' ') as [string, string, string]
          const log = logs[Number(p)]!
          const [batch] = await log.read(Number(base), 1, log.logEndOffset)
          expect(batch && describeBatch(batch), line).toMatchObject({ baseOffset: Number(base), tag, crcOk: true })
        }
        // Whatever landed is contiguous, acknowledged or not.
        for (const log of logs) {
          let next = 0
          for (let offset = 0; offset < log.logEndOffset; ) {
            const d = describeBatch((await log.read(offset, 1, log.logEndOffset))[0]!)
            expect(d.baseOffset).toBe(next)
            next = offset = d.lastOffset + 1
          }
          expect(next).toBe(log.logEndOffset)
          expect(log.highWatermark).toBeLessThanOrEqual(log.logEndOffset)
        }
      } finally {
        await store.close()
      }
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      fs.rmSync(work, { recursive: true, force: true })
    }
  })

  it('fsync mode writes and reopens like the default', async () => {
    const dir = tempDir('sync')
    try {
      let store = new LevelLogStore(dir, { sync: true })
      await store.open()
      const log = await store.partition('sync-topic', 0)
      await Promise.all(['a', 'b', 'c'].map((tag) => log.appendAsLeader(makeBatch({ tag }), 0)))
      await store.close()
      store = new LevelLogStore(dir, { sync: true })
      await store.open()
      expect(await readTags(await store.partition('sync-topic', 0))).toEqual(['a', 'b', 'c'])
      await store.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a second store on the same directory fails with STORE_LOCKED', async () => {
    const dir = tempDir('lock')
    const first = new LevelLogStore(dir)
    await first.open()
    try {
      await expectStorageError(new LevelLogStore(dir).open(), 'STORE_LOCKED')
    } finally {
      await first.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('keeps a large index in chunks: dead chunks go, a cut chunk is rewritten, reopen agrees', async () => {
    const dir = tempDir('chunks')
    try {
      let store = new LevelLogStore(dir)
      await store.open()
      let log = await store.partition('big', 0)
      for (let i = 0; i < 5000; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, k) => log.appendAsLeader(makeBatch({ records: 2, tag: String(i + k), payloadBytes: 4 }), 0)))
      }
      // Sealed: chunks of batches 0..2047 and 2048..4095, loose entries for 4096..4999.
      log.setHighWatermark(log.logEndOffset)
      await log.deleteRecordsBefore(2 * 2100 + 1) // inside batch 2100: the first chunk is dead, the second partly
      await log.truncateTo(2 * 3000) // cuts the second chunk, drops every loose entry
      const expected = Array.from({ length: 900 }, (_, k) => String(2100 + k))
      expect(await readTags(log)).toEqual(expected)
      await store.close()
      expect(await countKeys(dir)).toEqual({ d: 900, i: 0, x: 1, s: 1 })

      store = new LevelLogStore(dir)
      await store.open()
      log = await store.partition('big', 0)
      expect([log.logStartOffset, log.logEndOffset, log.batchCount]).toEqual([4201, 6000, 900])
      expect(await readTags(log)).toEqual(expected)
      await log.appendAsLeader(makeBatch({ tag: 'after' }), 0)
      expect(describeBatch((await log.read(6000, 1, 6001))[0]!).tag).toBe('after')
      log.setHighWatermark(log.logEndOffset)
      await log.applyRetention({ nowMs: 0, retentionMs: -1, retentionBytes: 0 })
      await store.close()
      expect(await countKeys(dir)).toEqual({ d: 0, i: 0, x: 0, s: 1 })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('drops a chunk that dies exactly at its boundary', async () => {
    const dir = tempDir('boundary')
    try {
      const store = new LevelLogStore(dir, { indexChunkBatches: 4 })
      await store.open()
      const log = await store.partition('edge', 0)
      for (let i = 0; i < 13; i++) await log.appendAsLeader(makeBatch({ tag: String(i) }), 0)
      // Chunks start at 0, 4 and 8; batch 12 is loose.
      await log.deleteRecordsBefore(4)
      await store.close()
      expect(await countKeys(dir)).toEqual({ d: 9, i: 1, x: 2, s: 1 })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('deletePartition leaves no key behind', async () => {
    const dir = tempDir('delete')
    try {
      const store = new LevelLogStore(dir, { indexChunkBatches: 4 })
      await store.open()
      const log = await store.partition('gone', 0)
      for (let i = 0; i < 10; i++) await log.appendAsLeader(makeBatch({ tag: String(i) }), 0)
      await store.meta.put('keep', Buffer.from('me'))
      await store.deletePartition('gone', 0)
      await store.close()
      expect(await countKeys(dir)).toEqual({ d: 0, i: 0, x: 0, s: 0, m: 1 })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a truncated batch is never served from the cache after a new append at its offset', async () => {
    const dir = tempDir('stale')
    const store = new LevelLogStore(dir, { tailCacheBytes: 4096 })
    await store.open()
    try {
      const log = await store.partition('stale', 0)
      await log.appendAsLeader(makeBatch({ tag: 'old' }), 0)
      await log.truncateTo(0)
      await log.appendAsLeader(makeBatch({ tag: 'new', payloadBytes: 2000 }), 0) // too big to cache
      expect(await readTags(log)).toEqual(['new'])
    } finally {
      await store.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('serves the tail from its cache within the budget, older batches from LevelDB', async () => {
    const dir = tempDir('cache')
    const store = new LevelLogStore(dir, { tailCacheBytes: 64 * 1024 })
    await store.open()
    try {
      const log = await store.partition('cache', 0)
      for (let i = 0; i < 200; i++) await log.appendAsLeader(makeBatch({ tag: String(i), payloadBytes: 939 }), 0)
      expect(store.tailCacheBytes).toBeGreaterThan(0)
      expect(store.tailCacheBytes).toBeLessThanOrEqual(64 * 1024)
      expect(await readTags(log)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)))
    } finally {
      await store.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** The keys of a closed store's batch store (sequence numbers). */
async function batchStoreSeqs(dir: string): Promise<number[]> {
  const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, BATCH_STORE_DIR), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  try {
    return (await db.keys().all()).map(offsetOfKey)
  } finally {
    await db.close()
  }
}

/** The keys of a closed store's main store, as latin1 strings (the single-byte ones are 'n', 'r'). */
async function mainStoreKeys(dir: string): Promise<string[]> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  try {
    return (await db.keys().all()).map((k) => k.toString('latin1'))
  } finally {
    await db.close()
  }
}

describe('LevelLogStore: the batch store', () => {
  const LARGE = 400 // payload bytes: at or above the 300-byte threshold of these tests
  const SMALL = 50

  it('keeps large batches there and small ones in the main store, and reads both after a reopen', async () => {
    const dir = tempDir('batch-store')
    try {
      let store = new LevelLogStore(dir, { batchStoreMinBytes: 300 })
      await store.open()
      let log = await store.partition('mixed', 0)
      const tags = Array.from({ length: 12 }, (_, i) => `b${i}`)
      for (const [i, tag] of tags.entries()) await log.appendAsLeader(makeBatch({ tag, payloadBytes: i % 3 === 0 ? SMALL : LARGE }), 0)
      await store.close()
      expect(await countKeys(dir)).toMatchObject({ d: 4, s: 1 })
      expect(await batchStoreSeqs(dir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])

      store = new LevelLogStore(dir, { batchStoreMinBytes: 300, tailCacheBytes: 0 })
      await store.open()
      log = await store.partition('mixed', 0)
      expect(await readTags(log)).toEqual(tags)
      // Sequences go on from where they were, never reused.
      await log.appendAsLeader(makeBatch({ tag: 'after', payloadBytes: LARGE }), 0)
      await store.close()
      expect(await batchStoreSeqs(dir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('retention, truncation and deletePartition delete the batches they drop from it', async () => {
    const dir = tempDir('batch-store-delete')
    try {
      const store = new LevelLogStore(dir, { batchStoreMinBytes: 300, indexChunkBatches: 4 })
      await store.open()
      const log = await store.partition('drop', 0)
      for (let i = 0; i < 10; i++) await log.appendAsLeader(makeBatch({ tag: `b${i}`, payloadBytes: LARGE }), 0)
      await log.deleteRecordsBefore(3)
      await log.truncateTo(8)
      expect(await readTags(log)).toEqual(['b3', 'b4', 'b5', 'b6', 'b7'])
      const other = await store.partition('gone', 0)
      await other.appendAsLeader(makeBatch({ tag: 'x', payloadBytes: LARGE }), 0)
      await store.deletePartition('gone', 0)
      await store.close()
      expect(await batchStoreSeqs(dir)).toEqual([4, 5, 6, 7, 8])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('clears at open the batches of a group commit whose main write never landed', async () => {
    const dir = tempDir('batch-store-orphans')
    try {
      let store = new LevelLogStore(dir, { batchStoreMinBytes: 300 })
      await store.open()
      let log = await store.partition('orphans', 0)
      await log.appendAsLeader(makeBatch({ tag: 'kept', payloadBytes: LARGE }), 0)
      await store.close()
      // What a crash between the two writes of a group commit leaves: batches nothing names.
      const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, BATCH_STORE_DIR), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open()
      await db.batch([2, 3].map((seq) => ({ type: 'put' as const, key: batchStoreKey(seq), value: makeBatch({ tag: 'orphan', payloadBytes: LARGE }) })))
      await db.close()

      store = new LevelLogStore(dir, { batchStoreMinBytes: 300, tailCacheBytes: 0 })
      await store.open()
      log = await store.partition('orphans', 0)
      await log.appendAsLeader(makeBatch({ tag: 'next', payloadBytes: LARGE }), 0)
      expect(await readTags(log)).toEqual(['kept', 'next'])
      await store.close()
      expect(await batchStoreSeqs(dir)).toEqual([1, 2])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('deletes at open the batches a main write stopped naming when a crash came before their deletes', async () => {
    const dir = tempDir('batch-store-removals')
    const mainKeys = async (): Promise<string[]> => (await mainStoreKeys(dir)).filter((k) => k.length === 1)
    try {
      let store = new LevelLogStore(dir, { batchStoreMinBytes: 300 })
      await store.open()
      let log = await store.partition('removals', 0)
      for (let i = 0; i < 5; i++) await log.appendAsLeader(makeBatch({ tag: `b${i}`, payloadBytes: LARGE }), 0)
      // The write that stops naming b0 and b1 lists them; the next write drops the list.
      await log.deleteRecordsBefore(2)
      await log.appendAsLeader(makeBatch({ tag: 'b5', payloadBytes: LARGE }), 0)
      await store.close()
      expect(await mainKeys()).toEqual(['n'])
      expect(await batchStoreSeqs(dir)).toEqual([3, 4, 5, 6])

      store = new LevelLogStore(dir, { batchStoreMinBytes: 300 })
      await store.open()
      log = await store.partition('removals', 0)
      await log.deleteRecordsBefore(4)
      await store.close()
      expect(await mainKeys()).toEqual(['n', 'r'])
      // What a crash between the main write and its deletes leaves: the batches, still there.
      const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, BATCH_STORE_DIR), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open()
      await db.batch([3, 4].map((seq) => ({ type: 'put' as const, key: batchStoreKey(seq), value: makeBatch({ tag: 'orphan', payloadBytes: LARGE }) })))
      await db.close()
      expect(await batchStoreSeqs(dir)).toEqual([3, 4, 5, 6])

      store = new LevelLogStore(dir, { batchStoreMinBytes: 300, tailCacheBytes: 0 })
      await store.open()
      log = await store.partition('removals', 0)
      expect(await readTags(log)).toEqual(['b4', 'b5'])
      await store.close()
      expect(await batchStoreSeqs(dir)).toEqual([5, 6])
      expect(await mainKeys()).toEqual(['n'])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('deletePartition of a partition not opened since the store opened deletes its batches and keys too', async () => {
    const dir = tempDir('batch-store-delete-unopened')
    try {
      let store = new LevelLogStore(dir, { batchStoreMinBytes: 300, indexChunkBatches: 4 })
      await store.open()
      const log = await store.partition('unopened', 0)
      for (let i = 0; i < 6; i++) await log.appendAsLeader(makeBatch({ tag: `b${i}`, payloadBytes: i % 2 === 0 ? LARGE : SMALL }), 0)
      await store.close()

      store = new LevelLogStore(dir, { batchStoreMinBytes: 300 })
      await store.open()
      await store.deletePartition('unopened', 0)
      expect(await store.listPartitions()).toEqual([])
      await store.close()
      expect(await batchStoreSeqs(dir)).toEqual([])
      expect((await mainStoreKeys(dir)).filter((k) => k.length > 1)).toEqual([])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('finishes at open a deletion a crash interrupted, and leaves a partition created anew alone', async () => {
    const dir = tempDir('batch-store-delete-crash')
    try {
      let store = new LevelLogStore(dir, { batchStoreMinBytes: 300, indexChunkBatches: 4 })
      await store.open()
      for (const topic of ['gone', 'anew']) {
        const log = await store.partition(topic, 0)
        for (let i = 0; i < 6; i++) await log.appendAsLeader(makeBatch({ tag: `${topic}${i}`, payloadBytes: i % 2 === 0 ? LARGE : SMALL }), 0)
      }
      await store.close()
      // What destroy's first write leaves when the process dies after it: no state, the mark.
      // 'anew' has its state and a mark: created again after a deletion that did not finish.
      const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open()
      const gone = new PartitionKeys('gone', 0)
      await db.batch([
        { type: 'del', key: gone.state() },
        { type: 'put', key: gone.deleting(), value: Buffer.alloc(0) },
        { type: 'put', key: new PartitionKeys('anew', 0).deleting(), value: Buffer.alloc(0) },
      ])
      await db.close()

      store = new LevelLogStore(dir, { batchStoreMinBytes: 300, tailCacheBytes: 0 })
      await store.open()
      expect(await store.listPartitions()).toEqual([{ topicId: 'anew', partition: 0 }])
      expect(await readTags(await store.partition('anew', 0))).toEqual(['anew0', 'anew1', 'anew2', 'anew3', 'anew4', 'anew5'])
      await store.close()
      expect(await batchStoreSeqs(dir)).toEqual([4, 5, 6])
      const left = (await mainStoreKeys(dir)).filter((k) => k.length > 1)
      expect(left.length).toBeGreaterThan(0)
      expect(left.filter((k) => k.includes('gone') || k.startsWith('g'))).toEqual([])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('opens a log written before the batch store (16-byte index entries, version 1 chunks)', async () => {
    const dir = tempDir('batch-store-legacy')
    try {
      // The layout of the previous release, written key by key: batches under 'd', three sealed
      // in a version 1 chunk, one loose 16-byte entry.
      const keys = new PartitionKeys('legacy', 0)
      const batches = [0, 1, 2, 3].map((i) => makeBatch({ baseOffset: i, tag: `old${i}`, payloadBytes: LARGE }))
      const chunk = Buffer.alloc(5 + 3 * 24)
      chunk.writeUInt8(1, 0)
      chunk.writeUInt32BE(3, 1)
      for (let i = 0; i < 3; i++) {
        chunk.writeDoubleBE(i, 5 + i * 24)
        chunk.writeUInt32BE(batches[i]!.length, 5 + i * 24 + 12)
        chunk.writeDoubleBE(0, 5 + i * 24 + 16)
      }
      const loose = Buffer.alloc(16)
      loose.writeUInt32BE(batches[3]!.length, 4)
      const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open()
      await db.batch([
        ...batches.map((value, i) => ({ type: 'put' as const, key: keys.data(i), value })),
        { type: 'put', key: keys.chunk(0), value: chunk },
        { type: 'put', key: keys.index(3), value: loose },
        { type: 'put', key: keys.state(), value: encodeState({ logStartOffset: 0, logEndOffset: 4, highWatermark: 4, epochs: [] }) },
      ])
      await db.close()

      const store = new LevelLogStore(dir, { batchStoreMinBytes: 300, tailCacheBytes: 0, indexChunkBatches: 4 })
      await store.open()
      const log = await store.partition('legacy', 0)
      await log.appendAsLeader(makeBatch({ tag: 'new', payloadBytes: LARGE }), 0)
      expect(await readTags(log)).toEqual(['old0', 'old1', 'old2', 'old3', 'new'])
      await log.deleteRecordsBefore(2)
      expect(await readTags(log)).toEqual(['old2', 'old3', 'new'])
      await store.close()
      expect(await countKeys(dir)).toMatchObject({ d: 2 })
      expect(await batchStoreSeqs(dir)).toEqual([1])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
