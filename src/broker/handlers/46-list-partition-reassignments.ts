/**
 * ListPartitionReassignments (key 46), version 0 (as Kafka 3.9).
 * The moves in progress, from the committed metadata image: every one for a null topic list, else
 * those of the partitions named; unknown topics and partitions, and partitions not moving, are
 * left out, as Kafka does. Each shows its replicas (the union of old and target), the replicas it
 * adds and the ones it removes.
 * Not implemented: nothing in this version.
 */
import {
  listPartitionReassignmentsApi,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponseInput,
} from '../../protocol/messages/46-list-partition-reassignments.js'
import { ErrorCode } from '../../protocol/errors.js'
import { defineHandler, type RequestContext } from '../handler.js'

type PartitionOut = ListPartitionReassignmentsResponseInput['topics'][number]['partitions'][number]

function handle(ctx: RequestContext, req: ListPartitionReassignmentsRequest): ListPartitionReassignmentsResponseInput {
  const filter = req.topics === null ? null : req.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }))
  // In the order listed (grouped by topic already).
  const topics: { name: string; partitions: PartitionOut[] }[] = []
  for (const r of ctx.broker.cluster.listPartitionReassignments(filter)) {
    let topic = topics[topics.length - 1]
    if (topic?.name !== r.topic) topics.push((topic = { name: r.topic, partitions: [] }))
    topic.partitions.push({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.addingReplicas, removingReplicas: r.removingReplicas })
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics }
}

defineHandler(listPartitionReassignmentsApi, { versions: '0', handle })
