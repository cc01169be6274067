/**
 * AlterPartitionReassignments (key 45), version 0 (as Kafka 3.9).
 * Forwarded to the controller in one command (cluster/reassignment.ts): per partition, the target
 * replicas start (or replace) a move, null cancels the one in progress. A move starts at once;
 * the answer comes when it is committed, not when it completes (the new replicas catch up after,
 * as in Kafka). Errors per partition as Kafka's: UNKNOWN_TOPIC_OR_PARTITION,
 * INVALID_REPLICA_ASSIGNMENT (an empty list, a broker named twice or not registered, a cancel that
 * needs an unclean election), NO_REASSIGNMENT_IN_PROGRESS (a cancel of nothing).
 * Not implemented: timeoutMs is not used (the command never waits on anything but the metadata log).
 */
import {
  alterPartitionReassignmentsApi,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponseInput,
} from '../../protocol/messages/45-alter-partition-reassignments.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: AlterPartitionReassignmentsRequest): Promise<AlterPartitionReassignmentsResponseInput> {
  const reqs = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })))
  const result = await ctx.broker.cluster.alterPartitionReassignments(reqs)
  let i = 0
  const responses = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      const r = result.value?.[i++]
      return { partitionIndex: p.partitionIndex, errorCode: r?.errorCode ?? result.errorCode, errorMessage: r ? r.errorMessage : result.errorMessage }
    }),
  }))
  return { throttleTimeMs: 0, errorCode: result.errorCode, errorMessage: result.errorMessage, responses }
}

defineHandler(alterPartitionReassignmentsApi, { versions: '0', handle })
