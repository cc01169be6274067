/**
 * `sluice topic trim`: moves partitions' log start offsets forward (DeleteRecords, at each
 * partition's leader) on sluice's own wire client, so it works against the daemon and any Kafka
 * cluster. The plan comes first: per partition its log start and end (ListOffsets), where the
 * `--before` offsets (the offsets grammar, offsets.ts) put the new start, and how many records
 * go; `execute` then sends it and reports the low watermark each leader answered.
 */
import { ErrorCode, errorName } from '../protocol/errors.js'
import { deleteRecordsApi } from '../protocol/messages/21-delete-records.js'
import { SluiceError } from '../common/errors.js'
import { retryRetriable, toClusterError, type ClusterTarget } from './kafka.js'
import { kafkaOffsetLookup, resolveOffsets, type OffsetSpec } from './offsets.js'
import { validateTopicName } from './topic-model.js'
import { KafkaAnswerError, WireClient } from './wire/client.js'

/** How long a leader may wait for its followers before it answers (DeleteRecords' timeoutMs). */
const DELETE_TIMEOUT_MS = 30_000

export interface TrimPartition {
  partition: number
  logStartOffset: number
  endOffset: number
  /** Where the log starts after the trim (executed: the low watermark the leader answered). */
  newLogStartOffset: number
  /** Records below the new start that go (a batch straddling it stays, as Kafka keeps it). */
  records: number
}

export interface TrimResult {
  topic: string
  executed: boolean
  records: number
  partitions: TrimPartition[]
}

/**
 * The plan for `spec` (partitions it does not name keep their start) and, with `execute`, its
 * execution. An offset past a partition's end is refused (OFFSET_OUT_OF_RANGE, exit 4) before
 * anything is deleted; one below the log start changes nothing.
 */
export async function trimTopic(target: ClusterTarget, topic: string, spec: OffsetSpec, opts: { execute: boolean; nowMs: number }): Promise<TrimResult> {
  const what = `cannot trim topic "${topic}"`
  validateTopicName(topic)
  const client = new WireClient(target, 'sluice-admin')
  try {
    const md = await client.metadata({ topics: [topic] }).catch((err: unknown) => {
      throw toClusterError(err, target, what)
    })
    const count = md.topics.get(topic)!.partitionsCount
    for (const p of spec.partitions.keys()) {
      if (p >= count) throw new SluiceError('NOT_FOUND', `${what}: partition ${p} does not exist (the topic has ${count})`)
    }
    const partitions = Array.from({ length: count }, (_, i) => i)
    const lookup = kafkaOffsetLookup(client, topic)
    const bounds = await lookup.bounds(partitions).catch((err: unknown) => {
      throw toClusterError(err, target, what)
    })
    const positions = await resolveOffsets(spec, { partitions, lookup, fallback: { kind: 'earliest' }, role: 'from', nowMs: opts.nowMs, bounds }).catch(
      (err: unknown) => {
        throw toClusterError(err, target, what)
      },
    )
    const plan = partitions.map((partition): TrimPartition => {
      const b = bounds.get(partition)!
      const before = positions.get(partition)!.offset
      if (before > b.end) {
        throw new SluiceError('OFFSET_OUT_OF_RANGE', `${what}: offset ${before} is past the end of partition ${partition} (${b.end})`, { exit: 4 })
      }
      const newStart = Math.max(b.start, before)
      return { partition, logStartOffset: b.start, endOffset: b.end, newLogStartOffset: newStart, records: newStart - b.start }
    })
    if (opts.execute) {
      const wanted = plan.filter((p) => p.newLogStartOffset > p.logStartOffset)
      const answered = await deleteRecords(client, topic, wanted).catch((err: unknown) => {
        throw toClusterError(err, target, what)
      })
      for (const p of wanted) p.newLogStartOffset = answered.get(p.partition) ?? p.newLogStartOffset
    }
    return { topic, executed: opts.execute, records: plan.reduce((sum, p) => sum + p.records, 0), partitions: plan }
  } finally {
    client.close()
  }
}

/**
 * DeleteRecords at each partition's leader; partitions whose leader moved (a retriable error) are
 * asked again after a metadata refresh. Answers each partition's low watermark.
 */
async function deleteRecords(client: WireClient, topic: string, partitions: readonly TrimPartition[]): Promise<Map<number, number>> {
  const done = new Map<number, number>()
  let refresh = false
  await retryRetriable(
    async () => {
      const md = await client.metadata({ topics: [topic], forceUpdate: refresh })
      refresh = true
      const t = md.topics.get(topic)!
      const byLeader = new Map<number, TrimPartition[]>()
      for (const p of partitions) {
        if (done.has(p.partition)) continue
        const leader = t.partitions[p.partition]?.leader ?? -1
        if (leader < 0) throw new KafkaAnswerError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}/${p.partition} has no leader`)
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
      }
      await Promise.all(
        [...byLeader].map(async ([leader, led]) => {
          const broker = md.brokers.get(leader)
          if (broker === undefined) throw new KafkaAnswerError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${leader} is not in the metadata`)
          const body = { topics: [{ name: topic, partitions: led.map((p) => ({ partitionIndex: p.partition, offset: p.newLogStartOffset })) }], timeoutMs: DELETE_TIMEOUT_MS }
          const answer = await client.request(broker, deleteRecordsApi, body, { timeoutMs: DELETE_TIMEOUT_MS + 5_000 })
          for (const at of answer.topics) {
            for (const p of at.partitions) {
              if (p.errorCode !== ErrorCode.NONE) {
                throw new KafkaAnswerError(p.errorCode, `deleting the records of ${topic}/${p.partitionIndex}: ${errorName(p.errorCode)}`)
              }
              done.set(p.partitionIndex, Number(p.lowWatermark))
            }
          }
        }),
      )
    },
    { windowMs: DELETE_TIMEOUT_MS },
  )
  return done
}
