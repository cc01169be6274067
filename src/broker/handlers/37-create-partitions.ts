/**
 * CreatePartitions (key 37), versions 0-3 (as Kafka 3.9).
 * Forwarded to the controller, one topic at a time: grows a topic to `count` partitions, with the
 * replication factor of its existing ones, placed as topic creation places replicas or as the
 * request's assignments say; validate_only checks without changing anything. Errors as Kafka's:
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS (a count not larger, or over
 * max.topic.partitions), INVALID_REPLICA_ASSIGNMENT, INVALID_REPLICATION_FACTOR (too few live
 * brokers), POLICY_VIOLATION (max.partitions, max.broker.partitions: docs/limits.md); a topic
 * named twice in one request is INVALID_REQUEST, answered once. As CreateTopics, the answer comes
 * once the new replicas have taken their roles, or after timeoutMs.
 * Not implemented: placing replicas on fenced brokers when too few are live (KRaft does, and
 * leaves them out of the ISR); sluice refuses instead, as its topic creation does.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { createPartitionsApi, type CreatePartitionsRequest, type CreatePartitionsResponseInput } from '../../protocol/messages/37-create-partitions.js'
import { defineHandler, type RequestContext } from '../handler.js'

type TopicResult = CreatePartitionsResponseInput['results'][number]

async function handle(ctx: RequestContext, req: CreatePartitionsRequest): Promise<CreatePartitionsResponseInput> {
  const { cluster } = ctx.broker
  const counts = new Map<string, number>()
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
  const results: TopicResult[] = []
  const answered = new Set<string>()
  for (const t of req.topics) {
    if (answered.has(t.name)) continue
    answered.add(t.name)
    if (counts.get(t.name)! > 1) {
      results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' })
      continue
    }
    const result = await cluster.createPartitions(
      { name: t.name, count: t.count, assignments: t.assignments?.map((a) => a.brokerIds) ?? null },
      req.validateOnly,
      req.timeoutMs,
    )
    results.push({ name: t.name, errorCode: result.errorCode, errorMessage: result.errorMessage })
  }
  return { throttleTimeMs: 0, results }
}

defineHandler(createPartitionsApi, { versions: '0-3', handle })
