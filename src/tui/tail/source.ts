/**
 * The fetch loop behind the tail view: consume's own machinery (consumeTopic, or consumeGroup
 * with --group) with a sink that copies each record into the store instead of formatting it to
 * stdout. It runs until stop() or the signal aborts; `done` settles with consume's result or its
 * error (unknown topic, cluster unreachable...).
 */
import { consumeTopic, type ConsumeOptions, type ConsumeResult } from '../../client/consume/consume.js'
import { consumeGroup } from '../../client/consume/group-consume.js'
import type { ClusterTarget } from '../../client/kafka.js'
import type { Isolation } from '../../client/consume/isolation.js'
import type { OffsetSpec } from '../../client/offsets.js'
import type { RecordSink } from '../../client/consume/record-pipeline.js'
import { copyRecord } from './record.js'
import type { TailStore } from './store.js'

export interface TailSourceOptions {
  target: ClusterTarget
  topic: string
  partitions?: number[]
  from: OffsetSpec
  group?: { name: string; sessionTimeoutMs: number }
  isolation?: Isolation
  store: TailStore
  signal: AbortSignal
  /** The partitions being read, once known (at start; with --group at each assignment). */
  onAssigned?: (partitions: number[]) => void
  /** With --group: the member's notes (a lost coordinator...), which must not go to the screen as stderr lines. */
  onNote?: (message: string) => void
}

export interface TailSource {
  done: Promise<ConsumeResult>
  stop(): void
}

export function startTailSource(opts: TailSourceOptions): TailSource {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort()
  if (opts.signal.aborted) controller.abort()
  else opts.signal.addEventListener('abort', onAbort, { once: true })
  const { store, topic } = opts
  const sink: RecordSink = {
    onRecord(r, partition) {
      store.add(copyRecord(topic, r, partition))
      return true
    },
  }
  const consume: ConsumeOptions = {
    target: opts.target,
    topic,
    partitions: opts.partitions,
    from: opts.from,
    isolation: opts.isolation,
    exit: false,
    format: 'json',
    binary: false,
    // Not written to: the sink takes the records (consume only watches it for 'close').
    stdout: process.stdout,
    signal: controller.signal,
    sink,
    onAssigned: (partitions) => {
      store.declarePartitions(partitions)
      opts.onAssigned?.(partitions)
    },
  }
  const run = opts.group === undefined ? consumeTopic(consume) : consumeGroup({ ...consume, group: opts.group.name, sessionTimeoutMs: opts.group.sessionTimeoutMs, onNote: opts.onNote })
  const done = run.finally(() => opts.signal.removeEventListener('abort', onAbort))
  return { done, stop: () => controller.abort() }
}
