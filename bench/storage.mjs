#!/usr/bin/env node
/**
 * Storage micro benchmark: LevelDB partition logs without the network.
 *   npm run build && node bench/storage.mjs [--quick] [--floor]
 * (--floor: only the storage floor of the bench's kcat -> sluice step, see storageFloor below.)
 * (SLUICE_DIST=<dir> points at another build of src/.) Prints one line per scenario and a JSON
 * summary on stdout. Figures depend on the machine: compare runs on the same one.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { crc32c } from '@node-rs/crc32'

const dist = process.env.SLUICE_DIST ? pathToFileURL(path.resolve(process.env.SLUICE_DIST) + '/').href : new URL('../dist/', import.meta.url).href
const { LevelLogStore } = await import(new URL('storage/index.js', dist).href)
const { BATCH_STORE_OPTIONS } = await import(new URL('storage/leveldb.js', dist).href)

const quick = process.argv.includes('--quick')
const floorOnly = process.argv.includes('--floor')

if (process.argv[2] === '--open') {
  const store = new LevelLogStore(process.argv[3])
  await store.open()
  global.gc?.()
  const memory = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
  const before = memory()
  const started = performance.now()
  const log = await store.partition('bench', 0)
  const ms = performance.now() - started
  global.gc?.()
  const indexMB = (memory() - before) / 1e6
  console.log(JSON.stringify({ ms, msPerMillion: (ms * 1e6) / log.batchCount, indexMB, batches: log.batchCount }))
  await store.close()
  process.exit(0)
}
const RECORD_BYTES = 100

/** JSON-like records of ~RECORD_BYTES each, as compressible as real ones (not a constant byte). */
function payload(bytes) {
  const parts = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = `{"id":${(Math.random() * 1e9) | 0},"customer":"c-${(Math.random() * 1e5) | 0}","amount":${(Math.random() * 1000).toFixed(2)},"sku":"${Math.random().toString(36).slice(2, 10)}"}`
    parts.push(line)
    size += line.length
  }
  return Buffer.from(parts.join('')).subarray(0, bytes)
}

/** A RecordBatch v2 header with its CRC-32C (reads from disk check it) and a payload. */
function makeBatch(records, payloadBytes) {
  const buf = Buffer.alloc(61 + payloadBytes)
  payload(payloadBytes).copy(buf, 61)
  buf.writeInt32BE(buf.length - 12, 8)
  buf.writeInt8(2, 16)
  buf.writeInt32BE(records - 1, 23)
  const now = Date.now()
  buf.writeUInt32BE(Math.floor(now / 2 ** 32), 27)
  buf.writeUInt32BE(now >>> 0, 31)
  buf.copy(buf, 35, 27, 35)
  buf.writeInt32BE(records, 57)
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17)
  return buf
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-storage-'))
}

async function withStore(opts, fn) {
  const dir = tempDir()
  try {
    return await fn(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Appends `batches` batches per partition, `inFlight` appends outstanding per partition. */
async function produce(store, { partitions, batches, records, inFlight }) {
  const logs = await Promise.all(Array.from({ length: partitions }, (_, p) => store.partition('bench', p)))
  const template = makeBatch(records, records * RECORD_BYTES)
  const started = performance.now()
  await Promise.all(
    logs.map(async (log) => {
      let sent = 0
      const worker = async () => {
        while (sent < batches) {
          sent++
          await log.appendAsLeader(Buffer.from(template), 0)
        }
      }
      await Promise.all(Array.from({ length: inFlight }, worker))
      log.setHighWatermark(log.logEndOffset)
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const totalRecords = partitions * batches * records
  return { seconds, recordsPerSec: totalRecords / seconds, mbPerSec: (totalRecords * RECORD_BYTES) / seconds / 1e6 }
}

async function consume(log, maxBytes) {
  const started = performance.now()
  let records = 0
  for (let offset = log.logStartOffset; offset < log.highWatermark; ) {
    const batches = await log.read(offset, maxBytes, log.highWatermark)
    for (const b of batches) records += b.readInt32BE(57)
    const last = batches[batches.length - 1]
    offset = last.readUInt32BE(0) * 2 ** 32 + last.readUInt32BE(4) + last.readInt32BE(23) + 1
  }
  const seconds = (performance.now() - started) / 1000
  return { seconds, recordsPerSec: records / seconds }
}

const results = {}
const report = (name, r) => {
  results[name] = r
  const parts = Object.entries(r).map(([k, v]) => `${k}=${typeof v === 'number' ? (v >= 100 ? Math.round(v) : v.toFixed(3)) : v}`)
  console.error(`${name.padEnd(34)} ${parts.join(' ')}`)
}

const scale = quick ? 0.2 : 1

/** CPU seconds of this process's main thread (Linux: /proc; the rest of the process is other threads). */
function mainThreadCpu() {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

/**
 * The process's CPU while `write` runs on `replicas` fresh stores made by `makeStore(dir)` and
 * until they have closed (LevelDB finishes its compactions first), split into the main thread and
 * the rest; `write` resolves to the records it wrote to each store.
 */
async function floorOf(replicas, makeStore, write) {
  const dirs = Array.from({ length: replicas }, tempDir)
  try {
    const stores = dirs.map(makeStore)
    await Promise.all(stores.map((s) => s.open()))
    const cpu0 = process.cpuUsage()
    const main0 = mainThreadCpu()
    const started = performance.now()
    const records = await write(stores)
    await Promise.all(stores.map((s) => s.close()))
    const cpu = process.cpuUsage(cpu0)
    const all = (cpu.user + cpu.system) / 1e6
    const main = mainThreadCpu() - main0
    return { records, replicas, seconds: (performance.now() - started) / 1000, cpuSeconds: all, mainThreadCpuSeconds: main, otherThreadsCpuSeconds: all - main }
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  }
}

const FLOOR_RECORDS = 1000 // a batch's records: about 100 KB, what kcat's 5 ms linger makes at that rate

/**
 * The storage floor of `npm run bench`'s "kcat -> sluice" steps: what the daemon's storage work
 * costs without the network or the request path. One store per replica (3, then 1), the bench's
 * 1,000,000 records of about 100 bytes in 3 partitions, in batches of 1,000 records, 8 appends in
 * flight a partition, each batch once in memory and appended to every store (each as its leader:
 * the same writes a follower makes; in the daemon a follower appends the buffers its leader served,
 * replication being a call within the process, not copies of them).
 */
function storageFloor(replicas) {
  const batches = Math.round((1_000_000 * scale) / FLOOR_RECORDS / 3)
  const template = makeBatch(FLOOR_RECORDS, FLOOR_RECORDS * RECORD_BYTES)
  return floorOf(replicas, (dir) => new LevelLogStore(dir), async (stores) => {
    const logs = await Promise.all(stores.map((store) => Promise.all([0, 1, 2].map((p) => store.partition('bench', p)))))
    await Promise.all(
      [0, 1, 2].map(async (p) => {
        let sent = 0
        const worker = async () => {
          while (sent < batches) {
            sent++
            const batch = Buffer.from(template)
            await Promise.all(logs.map((replica) => replica[p].appendAsLeader(batch, 0)))
          }
        }
        await Promise.all(Array.from({ length: 8 }, worker))
      }),
    )
    return batches * FLOOR_RECORDS * 3
  })
}

/**
 * The same writes with LevelDB alone, without sluice's storage layer: each store a LevelDB with the
 * batch store's options, every batch under a key that only grows, 8 batches per write (a group
 * commit's worth), one write in flight per store. No index, no state, no tail cache: the least any
 * store of these bytes in LevelDB costs.
 */
async function levelDbFloor(replicas) {
  const { ClassicLevel } = await import('classic-level')
  const options = { keyEncoding: 'buffer', valueEncoding: 'buffer', ...BATCH_STORE_OPTIONS }
  const batches = Math.round((1_000_000 * scale) / FLOOR_RECORDS)
  const template = makeBatch(FLOOR_RECORDS, FLOOR_RECORDS * RECORD_BYTES)
  return floorOf(replicas, (dir) => new ClassicLevel(dir, options), async (dbs) => {
    for (let seq = 1; seq <= batches; ) {
      const ops = []
      for (let i = 0; i < 8 && seq <= batches; i++, seq++) {
        const key = Buffer.alloc(8)
        key.writeUInt32BE(seq, 4)
        ops.push({ type: 'put', key, value: Buffer.from(template) })
      }
      await Promise.all(dbs.map((db) => db.batch(ops)))
    }
    return batches * FLOOR_RECORDS
  })
}

if (floorOnly) {
  // A first run pays for compiling the append path and growing the heap, which the daemon under
  // test did long before: warm up first, and measure the runs after (the first costs 0.2-0.3 CPU-s more).
  await storageFloor(1)
  await levelDbFloor(1)
  report('storage floor: 3 replicas, 1M records', await storageFloor(3))
  report('storage floor: 1 replica, 1M records', await storageFloor(1))
  report('LevelDB alone: 3 replicas, 1M records', { leveldbOnly: true, ...(await levelDbFloor(3)) })
  report('LevelDB alone: 1 replica, 1M records', { leveldbOnly: true, ...(await levelDbFloor(1)) })
  console.log(JSON.stringify({ quick, node: process.version, cpus: os.cpus().length, results }))
  process.exit(0)
}

await withStore({}, async (dir) => {
  const store = new LevelLogStore(dir)
  await store.open()
  const r = await produce(store, { partitions: 1, batches: Math.round(3000 * scale), records: 1000, inFlight: 8 })
  report('produce 1 partition, 1000-rec batches', r)
  const log = await store.partition('bench', 0)
  report('consume from LevelDB (1 MB reads)', await consume(log, 1 << 20))
  await store.close()
})

await withStore({}, async (dir) => {
  const store = new LevelLogStore(dir)
  await store.open()
  report('produce 3 partitions, 1000-rec batches', await produce(store, { partitions: 3, batches: Math.round(1000 * scale), records: 1000, inFlight: 8 }))
  report('produce 3 partitions, 10-rec batches', await produce(store, { partitions: 3, batches: Math.round(30000 * scale), records: 10, inFlight: 32 }))
  await store.close()
})

await withStore({}, async (dir) => {
  const store = new LevelLogStore(dir, { tailCacheBytes: 256 << 20 })
  await store.open()
  await produce(store, { partitions: 1, batches: Math.round(1500 * scale), records: 1000, inFlight: 8 })
  report('consume tail from cache (1 MB reads)', await consume(await store.partition('bench', 0), 1 << 20))
  await store.close()
})

await withStore({}, async (dir) => {
  const store = new LevelLogStore(dir, { sync: true })
  await store.open()
  report('produce --fsync 3 partitions, 1000-rec', await produce(store, { partitions: 3, batches: Math.round(300 * scale), records: 1000, inFlight: 8 }))
  report('produce --fsync 3 partitions, 10-rec', await produce(store, { partitions: 3, batches: Math.round(3000 * scale), records: 10, inFlight: 32 }))
  await store.close()
})

await withStore({}, async (dir) => {
  const batches = Math.round(1_000_000 * scale)
  const store = new LevelLogStore(dir)
  await store.open()
  const w = await produce(store, { partitions: 1, batches, records: 1, inFlight: 256 })
  report('append 1-record batches', { batchesPerSec: w.recordsPerSec })
  await store.close()
  // A fresh process, so that the heap holds nothing but the loaded index.
  const { execFileSync } = await import('node:child_process')
  const out = execFileSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, '--open', dir], { env: process.env })
  report(`open a log of ${batches} batches`, JSON.parse(out.toString()))
})

console.log(JSON.stringify({ quick, node: process.version, cpus: os.cpus().length, results }))
