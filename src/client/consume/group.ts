/**
 * `sluice consume TOPIC --group G`: the partitions come from the group, the records from sluice's
 * own Fetcher, as in a plain consume. The group membership is sluice's own driver of Kafka's
 * classic group protocol (group/member.ts, group/driver.ts): FindCoordinator, JoinGroup, SyncGroup
 * (a leader assigns with `range` or `roundrobin`), Heartbeat, and a new coordinator looked up
 * whenever the old one fails, as Kafka's own consumer does.
 *
 * At least once: a partition's committed offset only ever moves to a position whose records were
 * all handed to stdout and drained (snapshot the cursors, wait for stdout to drain, commit the
 * snapshot). Commits go every COMMIT_INTERVAL_MS, when the assignment is revoked (before a
 * rejoin, with the generation still current) and at the end. Each assigned partition starts at
 * the group's committed offset (so records written but not yet committed by a member that died
 * are read again: duplicates, never gaps); --from only applies to partitions the group has no
 * offset for.
 */
import { Consumer } from '@platformatic/kafka'
import { SluiceError } from '../../cli/errors.js'
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { clientOptions, kafkaApiCode, toClusterError } from '../kafka.js'
import { resolveOffsets, type PartitionBounds } from '../offsets.js'
import { consumePipeline, type ConsumeOptions, type ConsumeResult } from './consume.js'
import { RETRY_WINDOW_MS, type PartitionCursor } from './fetcher.js'
import { createFormatter } from './format.js'
import { GroupDriver } from './group/driver.js'
import { OutputWriter } from './output.js'
import { TopicReader } from './topic-reader.js'

export interface GroupConsumeOptions extends ConsumeOptions {
  /** Where the member's notes go (lost coordinator, ...); stderr by default. tail's view shows them itself. */
  onNote?: (message: string) => void
  group: string
  /** The member's session timeout (the coordinator's group.min/max.session.timeout.ms bound it). */
  sessionTimeoutMs: number
  commitIntervalMs?: number
}

const COMMIT_INTERVAL_MS = 1_000
/** A commit, an OffsetFetch or a LeaveGroup that takes longer than this fails (a dead coordinator must not hang a stop). */
const REQUEST_TIMEOUT_MS = 5_000
const NOTE_REPEAT_MS = 30_000
/** Between attempts to read the committed offsets of a new assignment. */
const RETRY_MS = 200

interface Assignment {
  generationId: number
  partitions: number[]
}

/** Wakes whoever waits (the read loop) when the assignment changes or the consume finishes. */
class Wakeup {
  private wakeAll: () => void = () => undefined
  private signal = this.renew()
  private renew(): Promise<void> {
    return new Promise((resolve) => (this.wakeAll = resolve))
  }
  wake(): void {
    this.wakeAll()
    this.signal = this.renew()
  }
  /** Until the next wake, or `ms`. */
  wait(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    return Promise.race([this.signal, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer))
  }
}

export async function consumeGroup(opts: GroupConsumeOptions): Promise<ConsumeResult> {
  if (opts.to !== undefined) throw new SluiceError('USAGE', '--to does not apply with --group (the group decides where each partition is)')
  if (opts.partitions !== undefined) throw new SluiceError('USAGE', '--partition does not apply with --group (the group assigns the partitions)')
  const formatter = createFormatter(opts.format, opts.topic, opts.binary)
  const sessionTimeoutMs = opts.sessionTimeoutMs
  const options = clientOptions(opts.target, 'sluice-consume')
  // The data client: metadata, ListOffsets and the Fetcher's connections (it never joins a group).
  const client = new Consumer({ ...options, groupId: opts.group })
  const out = new OutputWriter(opts.stdout)
  let failure: Error | undefined
  const wakeup = new Wakeup()
  // Stopped by the signal, a closed stdout, --max, --exit or a failure: the loops below end.
  const reader = new TopicReader({ ...opts, client, onStop: () => wakeup.wake() })
  const finish = (why: ConsumeResult['stoppedBy']): void => reader.stop(why)
  // With a sink (tail's view) a record counts as handed over once the sink took it.
  const pipeline = consumePipeline(opts, formatter, out, reader)
  /** Every partition this member has read: where it is (all of it handed to stdout). */
  const cursors = new Map<number, PartitionCursor>()
  const firstOffsets = new Map<number, number>()
  const committed = new Map<number, number>()
  /** The partitions this member reads now (and so may commit). */
  const owned = new Set<number>()
  /** The assignment to read: set by the driver, null once revoked. */
  let current: Assignment | null = null
  /** `current` as it is now (the driver's callbacks change it between awaits). */
  const assignment = (): Assignment | null => current
  let count = 0

  /** Notes on stderr; the same note at most once every NOTE_REPEAT_MS (a coordinator down for long must not flood). */
  const notedAtMs = new Map<string, number>()
  const note = (message: string): void => {
    const nowMs = Date.now()
    if (nowMs - (notedAtMs.get(message) ?? Number.NEGATIVE_INFINITY) < NOTE_REPEAT_MS) return
    notedAtMs.set(message, nowMs)
    if (opts.onNote !== undefined) opts.onNote(message)
    else process.stderr.write(`sluice: ${message}\n`)
  }

  const driver = new GroupDriver({
    groupId: opts.group,
    topics: [opts.topic],
    topic: opts.topic,
    sessionTimeoutMs,
    rebalanceTimeoutMs: sessionTimeoutMs * 2,
    client,
    clientId: options.clientId,
    bootstrapBrokers: options.bootstrapBrokers,
    connectTimeoutMs: options.connectTimeout,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    onNote: note,
    onAssigned: (generationId, tps) => {
      const partitions = tps.filter((tp) => tp.topic === opts.topic).flatMap((tp) => tp.partitions)
      current = { generationId, partitions: [...new Set(partitions)].filter((p) => p >= 0 && p < count).sort((a, b) => a - b) }
      wakeup.wake()
    },
    onRevoke: async () => {
      // Stop reading at once, commit what stdout took while the generation is still current.
      current = null
      reader.pause()
      wakeup.wake()
      await commit()
      owned.clear()
    },
  })

  /** One commit at a time, in order: an older snapshot must never land after a newer one. */
  let commits: Promise<void> = Promise.resolve()
  const commit = (): Promise<void> => (commits = commits.then(commitOnce))
  /** Commits what stdout has taken; failures are notes (the next commit carries the same offsets). */
  const commitOnce = async (): Promise<void> => {
    const snapshot = [...cursors.values()]
      .filter((c) => owned.has(c.partition) && committed.get(c.partition) !== c.position)
      .map((c) => ({ partition: c.partition, offset: c.position }))
    if (snapshot.length === 0) return
    await pipeline.drain() // flushed and drained: the records are in stdout's hands
    try {
      // Without a coordinator or a generation now, nothing is sent: the next commit carries them.
      if (await driver.commit(opts.topic, snapshot)) for (const { partition, offset } of snapshot) committed.set(partition, offset)
    } catch (err) {
      note(`committing the offsets of group ${opts.group} failed (they will be committed again): ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  let committer: Promise<void> | undefined
  /** When reading the start offsets of the current assignment began failing. */
  let startFailingSinceMs: number | undefined
  let membership: Promise<void> | undefined
  try {
    count = await reader.partitionCount()
    membership = driver.run().catch((err: unknown) => {
      if (reader.isStopped) return
      failure = groupError(err, opts.group, sessionTimeoutMs, opts)
      finish('end')
    })
    committer = (async () => {
      while (!reader.isStopped) {
        await wakeup.wait(opts.commitIntervalMs ?? COMMIT_INTERVAL_MS)
        if (!reader.isStopped) await commit()
      }
    })()
    let started: Assignment | null = null
    while (!reader.isStopped) {
      const a = assignment()
      if (a === null || a === started) {
        await wakeup.wait(1_000)
        continue
      }
      let fresh: PartitionCursor[]
      try {
        fresh = await startCursors(reader, driver, opts, a.partitions)
      } catch (err) {
        if (!(err instanceof RetryLater)) throw err
        // The coordinator failed the OffsetFetch (the member is finding it again) or a leader the
        // ListOffsets: retry while the assignment holds, for as long as the Fetcher would.
        startFailingSinceMs ??= Date.now()
        if (Date.now() - startFailingSinceMs > RETRY_WINDOW_MS) throw err.cause instanceof SluiceError ? err.cause : toClusterError(err.cause, opts.target, err.message)
        await wakeup.wait(RETRY_MS)
        continue
      }
      startFailingSinceMs = undefined
      if (reader.isStopped) break
      if (assignment() !== a) continue // revoked meanwhile
      started = a
      for (const p of cursors.keys()) if (!a.partitions.includes(p)) cursors.delete(p)
      owned.clear()
      for (const c of fresh) {
        cursors.set(c.partition, c)
        owned.add(c.partition)
        if (!firstOffsets.has(c.partition)) firstOffsets.set(c.partition, c.position)
        committed.delete(c.partition) // the group's offset may have moved while another member had it
      }
      opts.onAssigned?.(a.partitions)
      if (fresh.every((c) => c.done)) {
        if (opts.exit) {
          finish('end')
          break
        }
        continue // nothing to read (more members than partitions): wait for the next assignment
      }
      await reader.read(fresh, pipeline)
      if (assignment() === a && !reader.isStopped && opts.exit) finish('end')
    }
    out.flush()
    await commit()
    if (failure) throw failure
    return {
      topic: opts.topic,
      records: pipeline.kept,
      read: pipeline.read,
      bytes: out.bytesWritten,
      partitions: [...cursors.values()].map((c) => ({ partition: c.partition, from: firstOffsets.get(c.partition)!, next: c.position })),
      stoppedBy: reader.stoppedBy,
      lossy: formatter.lossy,
    }
  } finally {
    reader.stop(reader.stoppedBy)
    await committer
    reader.close()
    out.flush()
    // Leaving at once hands the partitions to the others now rather than after the session timeout (bounded).
    await driver.stop(true)
    await membership
    // Forced: fetches still in flight (a long-poll) are abandoned, not awaited.
    await new Promise<void>((resolve) => client.close(true, () => resolve()))
  }
}

/** The committed offsets could not be read now (the coordinator is failing): try again. */
class RetryLater extends Error {}

/** Where each assigned partition starts: the group's committed offset, else --from. */
async function startCursors(reader: TopicReader, driver: GroupDriver, opts: GroupConsumeOptions, partitions: number[]): Promise<PartitionCursor[]> {
  if (partitions.length === 0) return []
  let committed: Map<number, number>
  try {
    committed = await driver.fetchOffsets(opts.topic, partitions)
  } catch (err) {
    throw new RetryLater(`reading the committed offsets of group "${opts.group}"`, { cause: err })
  }
  const lookup = reader.lookup()
  let bounds: Map<number, PartitionBounds>
  try {
    bounds = await lookup.bounds(partitions)
  } catch (err) {
    throw new RetryLater(`listing the offsets of "${opts.topic}"`, { cause: err })
  }
  const without = partitions.filter((p) => (committed.get(p) ?? -1) < 0)
  const starts = await resolveOffsets(opts.from, { partitions: without, lookup, bounds, fallback: { kind: 'earliest' }, role: 'from', nowMs: opts.nowMs ?? Date.now() })
  return partitions.map((p) => {
    const b = bounds.get(p)!
    const c = committed.get(p) ?? -1
    // A committed offset outside the log (deleted by retention, or a truncated log): the nearest data.
    const position = c >= 0 ? Math.min(Math.max(c, b.start), b.end) : starts.get(p)!.offset
    return reader.cursor(p, position, opts.exit ? b.end : Number.POSITIVE_INFINITY)
  })
}

/** The membership failed for good: a usage error for a refused session timeout, else a cluster error. */
function groupError(err: unknown, group: string, sessionTimeoutMs: number, opts: GroupConsumeOptions): SluiceError {
  const code = kafkaApiCode(err)
  if (code === ErrorCode.INVALID_SESSION_TIMEOUT) {
    return new SluiceError(
      'USAGE',
      `the cluster refuses --session-timeout ${sessionTimeoutMs} ms (INVALID_SESSION_TIMEOUT): it must be between its group.min.session.timeout.ms and group.max.session.timeout.ms`,
      { cause: err },
    )
  }
  const what = `joining group "${group}"${code === undefined ? '' : ` (${errorName(code)})`}`
  return toClusterError(err, opts.target, what)
}
