/**
 * `sluice topic reassign` and `sluice topic reassignments`: one partition's move started, replaced
 * or cancelled (AlterPartitionReassignments), and the moves in progress (ListPartitionReassignments),
 * on sluice's own wire client, so both work against the daemon and any Kafka cluster. How far each
 * adding replica is (its log end offset against the leader's) is not in Kafka's answers: the
 * command adds it from the local daemon's `cluster.snapshot` (`withProgress`).
 */
import { ErrorCode } from '../protocol/errors.js'
import { alterPartitionReassignmentsApi } from '../protocol/messages/45-alter-partition-reassignments.js'
import { listPartitionReassignmentsApi } from '../protocol/messages/46-list-partition-reassignments.js'
import type { PartitionSnapshot } from '../common/control-contract.js'
import { SluiceError, usageError } from '../common/errors.js'
import { answerError } from './admin.js'
import { toClusterError, type ClusterTarget } from './kafka.js'
import { validateTopicName } from './topic-model.js'
import { WireClient } from './wire/client.js'

const REQUEST_TIMEOUT_MS = 30_000

export interface Reassignment {
  topic: string
  partition: number
  /** The union of the old and the target replicas, target first. */
  replicas: number[]
  addingReplicas: number[]
  removingReplicas: number[]
  /** Where the move goes: the replicas without those being removed. */
  target: number[]
}

/** How far a replica being added is: its log end offset and the leader's (null: not known, e.g. its broker is down). */
export interface ReplicaProgress {
  broker: number
  logEndOffset: number | null
  leaderLogEndOffset: number | null
}

export interface ReassignmentWithProgress extends Reassignment {
  /** Null when the cluster is not the local daemon (Kafka's answers do not say). */
  progress: ReplicaProgress[] | null
}

export interface ReassignResult {
  topic: string
  partition: number
  /** The target asked; null for a cancel. */
  requested: number[] | null
  /** The move still in progress after the request, or null when it is done (completed at once, or cancelled). */
  reassignment: Reassignment | null
  /** The partition's replicas after the request. */
  replicas: number[]
}

/** "2,3" -> [2, 3]: broker ids, each once. */
export function parseReplicaList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim())
  if (parts.some((p) => !/^\d+$/.test(p))) throw usageError(`bad --replicas "${text}": expected broker ids separated by commas (e.g. 2,3)`)
  const ids = parts.map(Number)
  const twice = ids.find((id, i) => ids.indexOf(id) !== i)
  if (twice !== undefined) throw usageError(`bad --replicas "${text}": broker ${twice} is named twice`)
  return ids
}

function toReassignment(topic: string, p: { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }): Reassignment {
  return {
    topic,
    partition: p.partitionIndex,
    replicas: p.replicas,
    addingReplicas: p.addingReplicas,
    removingReplicas: p.removingReplicas,
    target: p.replicas.filter((id) => !p.removingReplicas.includes(id)),
  }
}

async function listOn(client: WireClient, topics: { name: string; partitionIndexes: number[] }[] | null): Promise<Reassignment[]> {
  const answer = await client.request('controller', listPartitionReassignmentsApi, { timeoutMs: REQUEST_TIMEOUT_MS, topics }, {
    timeoutMs: REQUEST_TIMEOUT_MS,
    check: (a) => {
      if (a.errorCode !== ErrorCode.NONE) throw answerError(a.errorCode, a.errorMessage)
      return a
    },
  })
  return answer.topics.flatMap((t) => t.partitions.map((p) => toReassignment(t.name, p)))
}

/** The topic's partition count; NOT_FOUND (exit 4) when it does not exist. */
async function partitionCount(client: WireClient, topic: string, what: string): Promise<number> {
  const md = await client.metadata({ topics: [topic] })
  const t = md.topics.get(topic)
  if (!t) throw new SluiceError('NOT_FOUND', `${what}: topic "${topic}" does not exist`)
  return t.partitionsCount
}

/** Starts, replaces (`replicas`) or cancels (null) the move of one partition; answers its state after. */
export async function reassignPartition(target: ClusterTarget, topic: string, partition: number, replicas: number[] | null): Promise<ReassignResult> {
  const what = replicas === null ? `cannot cancel the reassignment of ${topic}-${partition}` : `cannot reassign ${topic}-${partition}`
  validateTopicName(topic)
  const client = new WireClient(target, 'sluice-admin')
  try {
    const count = await partitionCount(client, topic, what)
    if (partition >= count) throw new SluiceError('NOT_FOUND', `${what}: partition ${partition} does not exist (the topic has ${count})`)
    await client.request(
      'controller',
      alterPartitionReassignmentsApi,
      { timeoutMs: REQUEST_TIMEOUT_MS, topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }] },
      {
        timeoutMs: REQUEST_TIMEOUT_MS,
        check: (a) => {
          if (a.errorCode !== ErrorCode.NONE) throw answerError(a.errorCode, a.errorMessage)
          const r = a.responses.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)
          if (r === undefined) throw new SluiceError('KAFKA_ERROR', `${what}: the cluster answered no result`)
          if (r.errorCode !== ErrorCode.NONE) throw answerError(r.errorCode, r.errorMessage)
        },
      },
    )
    const [reassignment] = await listOn(client, [{ name: topic, partitionIndexes: [partition] }])
    let after = reassignment?.replicas
    if (after === undefined) {
      // Not moving any more: its replicas as the metadata says (refreshed: the move just changed them).
      const md = await client.metadata({ topics: [topic], forceUpdate: true })
      after = md.topics.get(topic)?.partitions[partition]?.replicas ?? []
    }
    return { topic, partition, requested: replicas, reassignment: reassignment ?? null, replicas: after }
  } catch (err) {
    throw toClusterError(err, target, what)
  } finally {
    client.close()
  }
}

/** The moves in progress: every one, or those of `topic` (NOT_FOUND when it does not exist). */
export async function listReassignments(target: ClusterTarget, topic?: string): Promise<Reassignment[]> {
  const what = 'cannot list partition reassignments'
  const client = new WireClient(target, 'sluice-admin')
  try {
    if (topic === undefined) return await listOn(client, null)
    validateTopicName(topic)
    const count = await partitionCount(client, topic, what)
    return await listOn(client, [{ name: topic, partitionIndexes: Array.from({ length: count }, (_, i) => i) }])
  } catch (err) {
    throw toClusterError(err, target, what)
  } finally {
    client.close()
  }
}

/** Adds each adding replica's log end offset and the leader's, from the daemon's partition snapshots. */
export function withProgress(moves: readonly Reassignment[], snapshots: readonly PartitionSnapshot[] | null): ReassignmentWithProgress[] {
  const byKey = new Map((snapshots ?? []).map((s) => [`${s.topic}\u0000${s.partition}`, s]))
  return moves.map((m) => {
    if (snapshots === null) return { ...m, progress: null }
    const s = byKey.get(`${m.topic}\u0000${m.partition}`)
    const leaderLogEndOffset = s && s.logEndOffset >= 0 ? s.logEndOffset : null
    const progress = m.addingReplicas.map((broker) => ({ broker, logEndOffset: s?.replicaLogEndOffsets[String(broker)] ?? null, leaderLogEndOffset }))
    return { ...m, progress }
  })
}
