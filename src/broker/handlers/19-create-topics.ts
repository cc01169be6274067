/**
 * CreateTopics (key 19), versions 0-7.
 * Forwarded to the controller, one topic at a time: name checks, partition count and replication
 * factor (-1: the broker defaults), manual assignments, configs, validate_only (v1+). v5+ answers
 * the resulting partition count, replication factor and configs; v7 the topic id.
 * A duplicate name within one request is INVALID_REQUEST for both, as in Kafka.
 * Partition limits (max.topic.partitions, max.partitions, max.broker.partitions: docs/limits.md)
 * are the controller's: INVALID_PARTITIONS or POLICY_VIOLATION. The answer comes once every
 * replica has taken its role, or after the request's timeoutMs, whichever is first (the topic
 * exists either way; Kafka answers once the controller has committed it).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { createTopicsApi, type CreateTopicsRequest, type CreateTopicsResponseInput } from '../../protocol/messages/19-create-topics.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { describeTopicConfigs } from './config-entries.js'

type TopicResult = CreateTopicsResponseInput['topics'][number]

async function handle(ctx: RequestContext, req: CreateTopicsRequest): Promise<CreateTopicsResponseInput> {
  const { cluster } = ctx.broker
  const counts = new Map<string, number>()
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
  const topics: TopicResult[] = []
  for (const t of req.topics) {
    const out: TopicResult = {
      name: t.name,
      topicId: '00000000000000000000000000000000',
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topicConfigErrorCode: ErrorCode.NONE,
      numPartitions: -1,
      replicationFactor: -1,
      configs: [],
    }
    topics.push(out)
    if (counts.get(t.name)! > 1) {
      out.errorCode = ErrorCode.INVALID_REQUEST
      out.errorMessage = `Create topics request from client contains multiple entries for the topic ${t.name}`
      continue
    }
    const result = await cluster.createTopic(
      {
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments,
        configs: t.configs,
      },
      req.validateOnly,
      req.timeoutMs,
    )
    out.errorCode = result.errorCode
    out.errorMessage = result.errorMessage
    if (result.errorCode === ErrorCode.NONE && result.value) {
      out.numPartitions = result.value.numPartitions
      out.replicationFactor = result.value.replicationFactor
      if (!req.validateOnly) out.topicId = result.value.topicId
      const explicit = new Map(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!]))
      out.configs = describeTopicConfigs(explicit, cluster.image, { keys: null, documentation: false, synonyms: false }).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        configSource: c.configSource,
        isSensitive: c.isSensitive,
      }))
    }
  }
  return { throttleTimeMs: 0, topics }
}

defineHandler(createTopicsApi, { versions: '0-7', handle })
