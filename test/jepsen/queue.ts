/**
 * A Jepsen-style queue workload against a running daemon, from outside: idempotent librdkafka
 * producers (producer.py, confluent-kafka from Debian) write numbered records with acks=all into a
 * 6-partition RF3 topic with min.insync.replicas 2, while a seeded nemesis kills, restarts, pauses
 * and resumes brokers through the real CLI every 1.5-4 s. Then everything is healed, every partition
 * is read back with kcat, and the history is checked:
 * - lost: acknowledged and not in the log;
 * - duplicated: a record in the log more than once;
 * - misplaced: in another partition, or at another offset, than its acknowledgement said;
 * - reordered: one producer's records of a partition not in the order it sent them.
 */
import { execFile, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { seededRng } from '../../src/cluster/rng.js'
import { sluice, type TestDaemon } from '../helpers/index.js'

const run = promisify(execFile)
const PRODUCER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'producer.py')
export const PYTHON = '/usr/bin/python3'

export interface QueueOptions {
  seed: number
  topic: string
  partitions: number
  producers: number
  durationS: number
  /** Records a second per producer. */
  rate: number
  /** Told each nemesis step, for the test's log. */
  onStep?: (line: string) => void
}

export interface QueueResult {
  sent: number
  acked: number
  /** Acknowledged without an offset (librdkafka's implicit acknowledgement). */
  ackedImplicitly: number
  failed: number
  read: number
  lost: string[]
  duplicated: string[]
  misplaced: string[]
  reordered: string[]
  nemesis: string[]
}

/** Whether confluent-kafka (librdkafka's Python binding) is there; the reason when not. */
export async function librdkafkaMissing(): Promise<string | null> {
  try {
    await run(PYTHON, ['-c', 'import confluent_kafka'])
    return null
  } catch {
    return `${PYTHON} cannot import confluent_kafka (apt-get install python3-confluent-kafka)`
  }
}

interface ProducerRun {
  acks: Map<number, { partition: number; offset: number }>
  failed: number
  sent: number
  done: Promise<void>
}

function startProducer(d: TestDaemon, o: QueueOptions, index: number): ProducerRun {
  const child = spawn(PYTHON, [PRODUCER, d.bootstrap, o.topic, String(o.partitions), String(index), String(o.durationS), String(o.rate)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const result: ProducerRun = { acks: new Map(), failed: 0, sent: 0, done: Promise.resolve() }
  let pending = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ')
      if (kind === 'ack') result.acks.set(Number(a), { partition: Number(b), offset: Number(c) })
      else if (kind === 'fail') result.failed++
      else if (kind === 'done') result.sent = Number(a)
    }
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)))
  result.done = new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`producer ${index} exited ${code}: ${stderr}`))))
  })
  return result
}

/**
 * The nemesis: a step every 1.5-4 s; one broker faulted at a time (killed or paused), healed at a
 * later step (two in three steps heal), so some faults outlast the session timeout and get the
 * broker fenced, and others end before it.
 */
async function nemesis(d: TestDaemon, o: QueueOptions, until: () => boolean): Promise<string[]> {
  const rng = seededRng(o.seed)
  const ids = d.brokers.map((b) => b.id)
  const steps: string[] = []
  let faulted: { id: number; how: 'killed' | 'paused' } | null = null
  const cli = async (args: string[]): Promise<void> => {
    const r = await sluice(args, { home: d.home, env: d.env, timeoutMs: 120_000 })
    const line = `${args.join(' ')} -> exit ${r.exitCode}${r.exitCode === 0 ? '' : `: ${r.stderr.trim()}`}`
    steps.push(line)
    o.onStep?.(line)
  }
  while (!until()) {
    await new Promise((resolve) => setTimeout(resolve, 1_500 + rng.int(2_500)))
    if (until()) break
    if (faulted && rng.int(3) > 0) {
      await cli(['broker', faulted.how === 'killed' ? 'start' : 'resume', String(faulted.id)])
      faulted = null
      continue
    }
    if (faulted) continue
    const id = ids[rng.int(ids.length)]!
    const how = rng.int(2) === 0 ? 'killed' : 'paused'
    await cli(['broker', how === 'killed' ? 'kill' : 'pause', String(id)])
    faulted = { id, how }
  }
  if (faulted) await cli(['broker', faulted.how === 'killed' ? 'start' : 'resume', String(faulted.id)])
  return steps
}

/** Every record of a partition, read with kcat from the start to the end: [offset, value]. */
async function readPartition(d: TestDaemon, topic: string, partition: number): Promise<[number, string][]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', d.bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', '-f', '%o %s\\n'],
    { maxBuffer: 512 * 1024 * 1024, timeout: 300_000 },
  )
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const space = l.indexOf(' ')
      return [Number(l.slice(0, space)), l.slice(space + 1)]
    })
}

export async function runQueue(d: TestDaemon, o: QueueOptions): Promise<QueueResult> {
  const created = await sluice(
    ['topic', 'create', o.topic, '--partitions', String(o.partitions), '--replication-factor', '3', '--config', 'min.insync.replicas=2'],
    { home: d.home, env: d.env },
  )
  if (created.exitCode !== 0) throw new Error(`topic create: ${created.stderr}`)
  const producers = Array.from({ length: o.producers }, (_, i) => startProducer(d, o, i))
  const endMs = Date.now() + o.durationS * 1_000
  const steps = await nemesis(d, o, () => Date.now() >= endMs)
  await Promise.all(producers.map((p) => p.done))

  const where = new Map<string, [number, number][]>()
  let read = 0
  // The partitions read side by side (a kcat each), then looked at in partition order.
  const partitions = await Promise.all(Array.from({ length: o.partitions }, (_, partition) => readPartition(d, o.topic, partition)))
  for (const [partition, records] of partitions.entries()) {
    for (const [offset, value] of records) {
      read++
      const seen = where.get(value) ?? []
      seen.push([partition, offset])
      where.set(value, seen)
    }
  }
  const result: QueueResult = { sent: 0, acked: 0, ackedImplicitly: 0, failed: 0, read, lost: [], duplicated: [], misplaced: [], reordered: [], nemesis: steps }
  for (const [value, seen] of where) if (seen.length > 1) result.duplicated.push(`${value} at ${seen.map(([p, o]) => `${p}:${o}`).join(', ')}`)
  for (const [index, p] of producers.entries()) {
    result.sent += p.sent
    result.acked += p.acks.size
    for (const a of p.acks.values()) if (a.offset < 0) result.ackedImplicitly++
    result.failed += p.failed
    const lastOffset = new Map<number, { n: number; offset: number }>()
    for (let n = 0; n < p.sent; n++) {
      const value = `q${index}-${n}`
      const seen = where.get(value)
      const ack = p.acks.get(n)
      if (ack && !seen) result.lost.push(`${value} (acknowledged at ${ack.partition}:${ack.offset})`)
      // An implicit acknowledgement (offset -1) says the partition only.
      if (ack && seen && !seen.some(([pp, oo]) => pp === ack.partition && (ack.offset < 0 || oo === ack.offset))) {
        result.misplaced.push(`${value} acknowledged at ${ack.partition}:${ack.offset}, found at ${seen.map(([pp, oo]) => `${pp}:${oo}`).join(', ')}`)
      }
      if (seen && seen[0]![0] !== n % o.partitions) result.misplaced.push(`${value} sent to partition ${n % o.partitions}, found in ${seen[0]![0]}`)
      if (!seen) continue
      const [partition, offset] = seen[0]!
      const before = lastOffset.get(partition)
      if (before && offset < before.offset) result.reordered.push(`${value} at ${partition}:${offset}, before q${index}-${before.n} at ${before.offset}`)
      lastOffset.set(partition, { n, offset })
    }
  }
  return result
}
