/**
 * `sluice consume TOPIC --group G`: the partitions come from the group (Kafka's classic group
 * protocol, driven by @platformatic/kafka's Consumer: JoinGroup, SyncGroup, Heartbeat, rejoin on
 * a rebalance), the records from sluice's own Fetcher, as in a plain consume.
 *
 * At least once: a partition's committed offset only ever moves to a position whose records were
 * all handed to stdout and drained (snapshot the cursors, wait for stdout to drain, commit the
 * snapshot). Commits go every COMMIT_INTERVAL_MS, at each rebalance and at the end. After a
 * rebalance each partition starts at the group's committed offset (so records written but not yet
 * committed by a member that died are read again: duplicates, never gaps); --from only applies to
 * partitions the group has no offset for.
 *
 * A rebalance stops the fetch loop, commits what was written (Kafka accepts commits from any
 * member of the current generation), and starts again with the new assignment.
 */
import { Consumer, kGetConnection, type Broker, type Callback, type Connection } from '@platformatic/kafka'
import { SluiceError } from '../../cli/errors.js'
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { clientOptions, kafkaApiCode, toClusterError } from '../kafka.js'
import { kafkaOffsetLookup, resolveOffsets, type PartitionBounds } from '../offsets.js'
import { partitionCount, recordStep, type ConsumeOptions, type ConsumeResult } from './consume.js'
import { Fetcher, type PartitionCursor } from './fetcher.js'
import { createFormatter } from './format.js'
import { OutputWriter } from './output.js'

export interface GroupConsumeOptions extends ConsumeOptions {
  group: string
  /** The member's session timeout (the coordinator's group.min/max.session.timeout.ms bound it). */
  sessionTimeoutMs: number
  commitIntervalMs?: number
}

const COMMIT_INTERVAL_MS = 1_000
const MAX_WAIT_MS = 500
const PARTITION_MAX_BYTES = 1024 * 1024
const MAX_BYTES = 8 * 1024 * 1024

/** How long a member keeps trying to reach a group coordinator (a new one is elected meanwhile). */
const REJOIN_WINDOW_MS = 30_000
/** Group requests (commit, heartbeat) failing this many times in a row: the client is replaced. */
const GROUP_FAILURES_MAX = 3

/**
 * @platformatic/kafka 1.35's Consumer finds the group coordinator once and keeps it for its whole
 * life; when that broker dies and leaves the metadata, its next group request (a heartbeat, from a
 * timer) throws a TypeError and kills the process. Here that is an error the request returns;
 * consumeGroup then replaces the client, which finds the new coordinator.
 */
class GroupConsumer extends Consumer {
  override [kGetConnection](broker: Broker | undefined, callback: Callback<Connection>): void {
    if (broker === undefined) {
      callback(new Error('the group coordinator is not in the metadata (its broker is gone)'))
      return
    }
    super[kGetConnection](broker, callback)
  }
}

/** A commit or a LeaveGroup that takes longer than this fails (the next commit carries the offsets again). */
const COMMIT_TIMEOUT_MS = 5_000

/** `promise`, or a rejection after `ms`. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)
  })
  promise.catch(() => undefined)
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Forced: requests in flight (a long-poll fetch) are abandoned, not awaited. */
async function closeClient(c: Consumer): Promise<void> {
  const closed = await within(COMMIT_TIMEOUT_MS, new Promise<boolean>((resolve) => c.close(true, (err) => resolve(!err)))).catch(() => false)
  // Closing leaves the group first; when the coordinator is gone that fails and the client keeps
  // its sockets open (which would keep the process alive): close them directly.
  if (!closed) await new Promise<void>((resolve) => c.connections.close(() => resolve()))
}

const sleep = (ms: number, signal: Promise<void>): Promise<void> =>
  Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), signal])

export async function consumeGroup(opts: GroupConsumeOptions): Promise<ConsumeResult> {
  if (opts.to !== undefined) throw new SluiceError('USAGE', '--to does not apply with --group (the group decides where each partition is)')
  if (opts.partitions !== undefined) throw new SluiceError('USAGE', '--partition does not apply with --group (the group assigns the partitions)')
  const formatter = createFormatter(opts.format, opts.topic, opts.binary)
  const sessionTimeout = opts.sessionTimeoutMs
  const newClient = (): GroupConsumer => {
    const c = new GroupConsumer({
      ...clientOptions(opts.target, 'sluice-consume'),
      groupId: opts.group,
      sessionTimeout,
      rebalanceTimeout: sessionTimeout * 2,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 3)),
    })
    c.on('consumer:group:join', onJoin)
    c.on('consumer:heartbeat:error', () => groupFailed())
    c.on('consumer:heartbeat:end', () => (groupFailures = 0))
    c.on('error', (err: Error) => {
      // A rejoin that failed (the coordinator is gone): try with a new client.
      if (c === consumer) groupFailed(err)
    })
    return c
  }
  /** Group requests failed: after a few in a row, start again with a new client (see GroupConsumer). */
  let groupFailures = 0
  let renew = false
  const groupFailed = (err?: Error): void => {
    if (++groupFailures < GROUP_FAILURES_MAX && err === undefined) return
    if (!renew) process.stderr.write(`sluice: lost the coordinator of group ${opts.group}; joining again\n`)
    renew = true
    rebalanced = true
    fetcher?.stop()
  }
  const out = new OutputWriter(opts.stdout)
  // With a sink (tail's view) a record counts as handed over once the sink took it.
  const step = recordStep(opts, (r, partition) => formatter.write(r, partition, out))
  const max = opts.max ?? Number.POSITIVE_INFINITY
  let records = 0
  let stoppedBy: ConsumeResult['stoppedBy'] = 'end'
  let finished = false
  let failure: Error | undefined
  let fetcher: Fetcher | undefined
  let rebalanced = false
  let wakeFinish!: () => void
  const finishSignal = new Promise<void>((resolve) => (wakeFinish = resolve))
  const finish = (why: ConsumeResult['stoppedBy']): void => {
    if (finished) return
    finished = true
    stoppedBy = why
    fetcher?.stop()
    wakeFinish()
  }
  /** Every partition this member has read: where it is (all of it handed to stdout). */
  const cursors = new Map<number, PartitionCursor>()
  const firstOffsets = new Map<number, number>()
  const committed = new Map<number, number>()

  /** One commit at a time, in order: an older snapshot must never land after a newer one. */
  let commits: Promise<void> = Promise.resolve()
  const commit = (): Promise<void> => (commits = commits.then(commitOnce))
  /** Commits what stdout has taken; failures are notes (the next commit carries the same offsets). */
  const commitOnce = async (): Promise<void> => {
    const snapshot = [...cursors.values()].map((c) => [c.partition, c.position] as const).filter(([p, o]) => committed.get(p) !== o)
    if (snapshot.length === 0) return
    await out.end() // flushed and drained: the records are in stdout's hands
    try {
      // Bounded: a request to a coordinator that died may never be answered by the client.
      await within(
        COMMIT_TIMEOUT_MS,
        consumer.commit({ offsets: snapshot.map(([partition, offset]) => ({ topic: opts.topic, partition, offset: BigInt(offset), leaderEpoch: -1 })) }),
      )
      for (const [p, o] of snapshot) committed.set(p, o)
      groupFailures = 0
    } catch (err) {
      groupFailed()
      process.stderr.write(`sluice: committing the offsets of group ${opts.group} failed (they will be committed again): ${err instanceof Error ? err.message : String(err)}\n`)
    }
  }

  function onJoin(): void {
    rebalanced = true
    fetcher?.stop()
  }
  const onAbort = (): void => finish('interrupt')
  const onClosed = (): void => finish('closed')
  let consumer = newClient()
  if (opts.signal.aborted) onAbort()
  else opts.signal.addEventListener('abort', onAbort, { once: true })
  opts.stdout.on('error', onClosed)
  opts.stdout.on('close', onClosed)
  let committer: Promise<void> | undefined
  try {
    const count = await partitionCount(consumer, opts.target, opts.topic)
    consumer.topics.trackAll(opts.topic)
    try {
      await consumer.joinGroup({})
    } catch (err) {
      throw joinError(err)
    }
    committer = (async () => {
      while (!finished) {
        await sleep(opts.commitIntervalMs ?? COMMIT_INTERVAL_MS, finishSignal)
        if (!finished && !renew) await commit()
      }
    })()
    while (!finished) {
      if (renew) {
        await renewClient()
        if (finished) break
      }
      rebalanced = false
      const assigned = (consumer.assignments ?? []).filter((a) => a.topic === opts.topic).flatMap((a) => a.partitions).filter((p) => p < count)
      let current: PartitionCursor[]
      try {
        current = await startCursors(consumer, opts, assigned)
      } catch (err) {
        if (renew) continue // the coordinator went away meanwhile
        throw err
      }
      if (finished) break
      for (const p of cursors.keys()) if (!assigned.includes(p)) cursors.delete(p)
      for (const c of current) {
        cursors.set(c.partition, c)
        if (!firstOffsets.has(c.partition)) firstOffsets.set(c.partition, c.position)
        committed.delete(c.partition) // the group's offset may have moved while another member had it
      }
      if (rebalanced) continue // a newer assignment arrived meanwhile
      opts.onAssigned?.(current.map((c) => c.partition))
      fetcher = new Fetcher({
        consumer,
        target: opts.target,
        topic: opts.topic,
        cursors: current,
        maxWaitMs: opts.maxWaitMs ?? MAX_WAIT_MS,
        maxBytes: opts.maxBytes ?? MAX_BYTES,
        onRecord: (r, partition) => {
          if (step === undefined) formatter.write(r, partition, out)
          else {
            const kept = step(r, partition)
            if (kept === 'skip') return true
            if (kept === 'stop') {
              finish('closed')
              return false
            }
          }
          if (++records < max) return true
          finish('max')
          return false
        },
        ready: () => {
          out.flush()
          return out.ready()
        },
      })
      if (current.length === 0 || current.every((c) => c.done)) {
        if (opts.exit && !rebalanced) {
          finish('end')
          break
        }
        // Nothing to read (more members than partitions): wait for the next rebalance.
        while (!rebalanced && !finished) await sleep(100, finishSignal)
      } else {
        await fetcher.run()
        if (!rebalanced && !finished && opts.exit) finish('end')
      }
      if (rebalanced && !finished && !renew) await commit()
    }
    out.flush()
    await commit()
    if (failure) throw failure
    return {
      topic: opts.topic,
      records,
      bytes: out.bytesWritten,
      partitions: [...cursors.values()].map((c) => ({ partition: c.partition, from: firstOffsets.get(c.partition)!, next: c.position })),
      stoppedBy,
      lossy: formatter.lossy,
    }
  } finally {
    finished = true
    wakeFinish()
    await committer
    opts.signal.removeEventListener('abort', onAbort)
    opts.stdout.off('error', onClosed)
    opts.stdout.off('close', onClosed)
    out.flush()
    // Leaving at once hands the partitions to the others now rather than after the session timeout.
    await within(COMMIT_TIMEOUT_MS, consumer.leaveGroup(true) as unknown as Promise<void>).catch(() => undefined)
    await closeClient(consumer)
  }

  /**
   * A new client and a new membership (the old member id expires on the new coordinator after its
   * session timeout). What was written and not committed is read again: duplicates, never gaps.
   */
  async function renewClient(): Promise<void> {
    const old = consumer
    void closeClient(old)
    const startedMs = Date.now()
    let lastErr: unknown
    while (!finished) {
      consumer = newClient()
      consumer.topics.trackAll(opts.topic)
      try {
        await consumer.joinGroup({})
        renew = false
        groupFailures = 0
        committed.clear()
        return
      } catch (err) {
        lastErr = err
        void closeClient(consumer)
        if (kafkaApiCode(err) === ErrorCode.INVALID_SESSION_TIMEOUT || Date.now() - startedMs > REJOIN_WINDOW_MS) {
          failure = joinError(lastErr)
          finish('end')
          return
        }
        await sleep(500, finishSignal)
      }
    }
  }

  function joinError(err: unknown): SluiceError {
    const code = kafkaApiCode(err)
    if (code === ErrorCode.INVALID_SESSION_TIMEOUT) {
      return new SluiceError(
        'USAGE',
        `the cluster refuses --session-timeout ${sessionTimeout} ms (INVALID_SESSION_TIMEOUT): it must be between its group.min.session.timeout.ms and group.max.session.timeout.ms`,
        { cause: err },
      )
    }
    const what = `joining group "${opts.group}"${code === undefined ? '' : ` (${errorName(code)})`}`
    return toClusterError(err, opts.target, what)
  }
}

/** Where each assigned partition starts: the group's committed offset, else --from. */
async function startCursors(consumer: Consumer, opts: GroupConsumeOptions, partitions: number[]): Promise<PartitionCursor[]> {
  if (partitions.length === 0) return []
  let committed: bigint[]
  let bounds: Map<number, PartitionBounds>
  const lookup = kafkaOffsetLookup(consumer, opts.topic)
  try {
    const answer = await consumer.listCommittedOffsets({ topics: [{ topic: opts.topic, partitions }] })
    committed = answer.get(opts.topic) ?? []
    bounds = await lookup.bounds(partitions)
  } catch (err) {
    throw toClusterError(err, opts.target, `reading the committed offsets of group "${opts.group}"`)
  }
  const without = partitions.filter((p) => committed[p] === undefined || committed[p]! < 0n)
  const starts = await resolveOffsets(opts.from, { partitions: without, lookup, bounds, fallback: { kind: 'earliest' }, role: 'from', nowMs: opts.nowMs ?? Date.now() })
  return partitions.map((p) => {
    const b = bounds.get(p)!
    const c = committed[p]
    // A committed offset outside the log (deleted by retention, or a truncated log): the nearest data.
    const position = c !== undefined && c >= 0n ? Math.min(Math.max(Number(c), b.start), b.end) : starts.get(p)!.offset
    const stopOffset = opts.exit ? b.end : Number.POSITIVE_INFINITY
    return {
      partition: p,
      position,
      stopOffset,
      done: position >= stopOffset,
      partitionMaxBytes: opts.partitionMaxBytes ?? PARTITION_MAX_BYTES,
      failures: 0,
    }
  })
}
