/**
 * `sluice consume TOPIC --group G`: the partitions come from the group, the records from sluice's
 * own Fetcher, as in a plain consume. The group membership is sluice's own driver of Kafka's
 * classic group protocol (group-member/member.ts, group-member/driver.ts): FindCoordinator, JoinGroup, SyncGroup
 * (a leader assigns with `range` or `roundrobin`), Heartbeat, and a new coordinator looked up
 * whenever the old one fails, as Kafka's own consumer does.
 *
 * At least once: a partition's committed offset only ever moves to a position whose records were
 * all handed to stdout and drained (snapshot the cursors, wait for stdout to drain, commit the
 * snapshot). Commits go every COMMIT_INTERVAL_MS, when the assignment is revoked (before a
 * rejoin, with the generation still current) and at the end. Each assigned partition starts at
 * the group's committed offset (so records written but not yet committed by a member that died
 * are read again: duplicates, never gaps); --from only applies to partitions the group has no
 * offset for. Read committed (the default), the committed offsets are asked for stable only
 * (KIP-447): one committed in a transaction still open is retried until that transaction ends.
 */
import { SluiceError } from '../../common/errors.js'
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { clientOptions, kafkaApiCode, toClusterError } from '../kafka.js'
import { WireClient } from '../wire/client.js'
import { resolveOffsets, type PartitionBounds } from '../offsets.js'
import { consumePipeline, type ConsumeOptions, type ConsumeResult } from './consume.js'
import { RETRY_WINDOW_MS, type PartitionCursor } from './fetcher.js'
import { createFormatter, type RecordFormatter } from './format.js'
import type { TopicPartitions } from './group-member/consumer-protocol.js'
import { GroupDriver } from './group-member/driver.js'
import { OutputWriter } from './output.js'
import type { RecordPipeline } from './record-pipeline.js'
import { TopicReader } from './topic-reader.js'

export interface GroupConsumeOptions extends ConsumeOptions {
  /** Where the member's notes go (lost coordinator, ...); stderr by default. tail's view shows them itself. */
  onNote?: (message: string) => void
  group: string
  /** The member's session timeout (the coordinator's group.min/max.session.timeout.ms bound it). */
  sessionTimeoutMs: number
  /** How often the group's leader checks whether the topic grew (metadata.max.age.ms; 5 min by default, as Kafka). */
  metadataMaxAgeMs?: number
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
  // Before connecting: a bad --format is a usage error.
  const formatter = createFormatter(opts.format, opts.topic, opts.binary)
  return new GroupConsume(opts, formatter).run()
}

/** The committed offsets could not be read now (the coordinator is failing): try again. */
class RetryLater extends Error {}

/** One member's consume: join, then for each assignment plan, read and commit, then finish. */
class GroupConsume {
  // The data client: metadata, ListOffsets and the Fetcher's connections (it never joins a group).
  private readonly client: WireClient
  private readonly out: OutputWriter
  private readonly wakeup = new Wakeup()
  // Stopped by the signal, a closed stdout, --max, --exit or a failure: the loops end.
  private readonly reader: TopicReader
  // With a sink (tail's view) a record counts as handed over once the sink took it.
  private readonly pipeline: RecordPipeline
  private readonly driver: GroupDriver
  /** Every partition this member has read: where it is (all of it handed to stdout). */
  private readonly cursors = new Map<number, PartitionCursor>()
  private readonly firstOffsets = new Map<number, number>()
  private readonly committed = new Map<number, number>()
  /** The partitions this member reads now (and so may commit). */
  private readonly owned = new Set<number>()
  /** The assignment to read: set by the driver, null once revoked. */
  private current: Assignment | null = null
  private count = 0
  private failure: Error | undefined
  /** One commit at a time, in order: an older snapshot must never land after a newer one. */
  private commits: Promise<void> = Promise.resolve()
  private committer: Promise<void> | undefined
  private membership: Promise<void> | undefined
  /** When reading the start offsets of the current assignment began failing. */
  private startFailingSinceMs: number | undefined
  private readonly notedAtMs = new Map<string, number>()

  constructor(
    private readonly opts: GroupConsumeOptions,
    private readonly formatter: RecordFormatter,
  ) {
    const options = clientOptions(opts.target, 'sluice-consume')
    this.client = new WireClient(opts.target, options.clientId)
    this.out = new OutputWriter(opts.stdout)
    this.reader = new TopicReader({ ...opts, client: this.client, onStop: () => this.wakeup.wake() })
    this.pipeline = consumePipeline(opts, formatter, this.out, this.reader)
    this.driver = new GroupDriver({
      groupId: opts.group,
      topics: [opts.topic],
      topic: opts.topic,
      sessionTimeoutMs: opts.sessionTimeoutMs,
      rebalanceTimeoutMs: opts.sessionTimeoutMs * 2,
      metadataMaxAgeMs: opts.metadataMaxAgeMs,
      client: this.client,
      clientId: options.clientId,
      bootstrapBrokers: options.bootstrapBrokers,
      connectTimeoutMs: options.connectTimeout,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      requireStable: this.reader.isolation === 'read_committed',
      onNote: (message) => this.note(message),
      onAssigned: (generationId, tps) => this.assigned(generationId, tps),
      onRevoke: () => this.revoke(),
    })
  }

  async run(): Promise<ConsumeResult> {
    try {
      this.count = await this.reader.partitionCount()
      this.join()
      this.committer = this.commitEvery(this.opts.commitIntervalMs ?? COMMIT_INTERVAL_MS)
      await this.readAssignments()
      this.out.flush()
      await this.commit()
      if (this.failure) throw this.failure
      return this.result()
    } finally {
      await this.finish()
    }
  }

  /** Runs the membership in the background; when it fails for good, the consume stops with its error. */
  private join(): void {
    this.membership = this.driver.run().catch((err: unknown) => {
      if (this.reader.isStopped) return
      this.failure = groupError(err, this.opts.group, this.opts.sessionTimeoutMs, this.opts)
      this.reader.stop('end')
    })
  }

  /** The driver's new assignment (the partitions of the topic that it has). */
  private assigned(generationId: number, tps: TopicPartitions[]): void {
    const partitions = tps.filter((tp) => tp.topic === this.opts.topic).flatMap((tp) => tp.partitions)
    // Partitions past the count known are checked against fresh metadata before reading (known()).
    this.current = { generationId, partitions: [...new Set(partitions)].filter((p) => p >= 0).sort((a, b) => a - b) }
    this.wakeup.wake()
  }

  /** Stops reading at once, and commits what stdout took while the generation is still current. */
  private async revoke(): Promise<void> {
    this.current = null
    this.reader.pause()
    this.wakeup.wake()
    await this.commit()
    this.owned.clear()
  }

  /** `current` as it is now (the driver's callbacks change it between awaits). */
  private assignment(): Assignment | null {
    return this.current
  }

  /** Each new assignment in turn: plan its cursors, take them, read until it is revoked or done. */
  private async readAssignments(): Promise<void> {
    let started: Assignment | null = null
    while (!this.reader.isStopped) {
      const a = this.assignment()
      if (a === null || a === started) {
        await this.wakeup.wait(1_000)
        continue
      }
      const fresh = await this.plan(a)
      if (fresh === undefined) continue // not now: tried again
      if (this.reader.isStopped) break
      if (this.assignment() !== a) continue // revoked meanwhile
      started = a
      this.take(a, fresh)
      if (fresh.every((c) => c.done)) {
        if (this.opts.exit) {
          this.reader.stop('end')
          break
        }
        continue // nothing to read (more members than partitions): wait for the next assignment
      }
      await this.reader.read(fresh, this.pipeline)
      if (this.assignment() === a && !this.reader.isStopped && this.opts.exit) this.reader.stop('end')
    }
  }

  /**
   * The cursors of an assignment, or undefined when the coordinator failed the OffsetFetch (the
   * member is finding it again) or a leader the ListOffsets: retried (after RETRY_MS) while the
   * assignment holds, for as long as the Fetcher would retry.
   */
  private async plan(a: Assignment): Promise<PartitionCursor[] | undefined> {
    try {
      await this.known(a)
      const fresh = await this.startCursors(a.partitions)
      this.startFailingSinceMs = undefined
      return fresh
    } catch (err) {
      if (!(err instanceof RetryLater)) throw err
      if (kafkaApiCode(err.cause) === ErrorCode.UNSTABLE_OFFSET_COMMIT) {
        // Not a failure: a transaction committed offsets of this group and is still open. Kafka's
        // consumer waits for it to end (commit or abort, at the latest its timeout), and so do we.
        this.note(`group "${this.opts.group}" has offsets committed in a transaction still open: waiting for it to end before reading (UNSTABLE_OFFSET_COMMIT)`)
        this.startFailingSinceMs = undefined
        await this.wakeup.wait(RETRY_MS)
        return undefined
      }
      this.startFailingSinceMs ??= Date.now()
      if (Date.now() - this.startFailingSinceMs > RETRY_WINDOW_MS) {
        throw err.cause instanceof SluiceError ? err.cause : toClusterError(err.cause, this.opts.target, err.message)
      }
      await this.wakeup.wait(RETRY_MS)
      return undefined
    }
  }

  /**
   * Keeps the partitions of an assignment that the topic has. One past the count read at start is
   * a partition added since (the leader saw the topic grow): the count is read again first.
   */
  private async known(a: Assignment): Promise<void> {
    if (a.partitions.some((p) => p >= this.count)) {
      try {
        this.count = await this.reader.partitionCount(true)
      } catch (err) {
        throw new RetryLater(`reading the metadata of "${this.opts.topic}"`, { cause: err })
      }
    }
    a.partitions = a.partitions.filter((p) => p < this.count)
  }

  /** Where each assigned partition starts: the group's committed offset, else --from. */
  private async startCursors(partitions: number[]): Promise<PartitionCursor[]> {
    const { opts, reader } = this
    if (partitions.length === 0) return []
    let committed: Map<number, number>
    try {
      committed = await this.driver.fetchOffsets(opts.topic, partitions)
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

  /** The assignment's cursors become this member's: the ones it may commit. */
  private take(a: Assignment, fresh: PartitionCursor[]): void {
    for (const p of this.cursors.keys()) if (!a.partitions.includes(p)) this.cursors.delete(p)
    this.owned.clear()
    for (const c of fresh) {
      this.cursors.set(c.partition, c)
      this.owned.add(c.partition)
      if (!this.firstOffsets.has(c.partition)) this.firstOffsets.set(c.partition, c.position)
      this.committed.delete(c.partition) // the group's offset may have moved while another member had it
    }
    this.opts.onAssigned?.(a.partitions)
  }

  private async commitEvery(intervalMs: number): Promise<void> {
    while (!this.reader.isStopped) {
      await this.wakeup.wait(intervalMs)
      if (!this.reader.isStopped) await this.commit()
    }
  }

  private commit(): Promise<void> {
    return (this.commits = this.commits.then(() => this.commitOnce()))
  }

  /** Commits what stdout has taken; failures are notes (the next commit carries the same offsets). */
  private async commitOnce(): Promise<void> {
    const snapshot = [...this.cursors.values()]
      .filter((c) => this.owned.has(c.partition) && this.committed.get(c.partition) !== c.position)
      .map((c) => ({ partition: c.partition, offset: c.position }))
    if (snapshot.length === 0) return
    await this.pipeline.drain() // flushed and drained: the records are in stdout's hands
    try {
      // Without a coordinator or a generation now, nothing is sent: the next commit carries them.
      if (await this.driver.commit(this.opts.topic, snapshot)) for (const { partition, offset } of snapshot) this.committed.set(partition, offset)
    } catch (err) {
      this.note(`committing the offsets of group ${this.opts.group} failed (they will be committed again): ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  private result(): ConsumeResult {
    return {
      topic: this.opts.topic,
      records: this.pipeline.kept,
      read: this.pipeline.read,
      bytes: this.out.bytesWritten,
      partitions: [...this.cursors.values()].map((c) => ({ partition: c.partition, from: this.firstOffsets.get(c.partition)!, next: c.position })),
      stoppedBy: this.reader.stoppedBy,
      lossy: this.formatter.lossy,
    }
  }

  /** Stops the loops, leaves the group (bounded) and closes the client, also after a failure. */
  private async finish(): Promise<void> {
    this.reader.stop(this.reader.stoppedBy)
    await this.committer
    this.reader.close()
    this.out.flush()
    // Leaving at once hands the partitions to the others now rather than after the session timeout (bounded).
    await this.driver.stop(true)
    await this.membership
    // Forced: fetches still in flight (a long-poll) are abandoned, not awaited.
    this.client.close()
  }

  /** Notes on stderr; the same note at most once every NOTE_REPEAT_MS (a coordinator down for long must not flood). */
  private note(message: string): void {
    const nowMs = Date.now()
    if (nowMs - (this.notedAtMs.get(message) ?? Number.NEGATIVE_INFINITY) < NOTE_REPEAT_MS) return
    this.notedAtMs.set(message, nowMs)
    if (this.opts.onNote !== undefined) this.opts.onNote(message)
    else process.stderr.write(`sluice: ${message}\n`)
  }
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
