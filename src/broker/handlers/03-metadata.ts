/**
 * Metadata (key 3), versions 0-12.
 * Brokers (live, unfenced), cluster id, controller, and per topic its id (v10+), partitions with
 * leader, leader epoch, replicas, ISR and offline replicas. A null topic list (v1+) means every
 * topic; v0's empty list means every topic too.
 * By topic id (v12; KIP-516): when any requested topic carries a non-zero id, the ids alone are
 * looked up, as Kafka does; an unknown id answers UNKNOWN_TOPIC_ID (name null). v10-11 carry ids
 * only in answers: a request naming a topic by id, or with a null name, is INVALID_REQUEST.
 * Auto-creation: when `auto.create.topics.enable` and the request allows it (v4+; always for
 * older versions), an unknown valid topic name is created with the broker defaults and answered
 * LEADER_NOT_AVAILABLE in this response, as Kafka does; the client's next Metadata sees it.
 * Authorized operations (v8+, KIP-430), when asked: every operation a topic (and, v8-10, the
 * cluster) supports, as Kafka answers without an authorizer; otherwise -2147483648.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { AUTHORIZED_OPERATIONS_OMITTED, allOperationsOn } from '../../protocol/acl-operations.js'
import { ZERO_UUID } from '../../protocol/primitives.js'
import { validateTopicName } from '../../cluster/controller.js'
import { brokerConfig } from '../../cluster/configs.js'
import type { TopicInfo } from '../../cluster/metadata.js'
import { metadataApi, type MetadataRequest, type MetadataResponseInput } from '../../protocol/messages/03-metadata.js'
import { defineHandler, type RequestContext } from '../handler.js'

type TopicResponse = MetadataResponseInput['topics'][number]

const noTopic = (errorCode: number, name: string | null, topicId = ZERO_UUID): TopicResponse => ({
  errorCode,
  name,
  topicId,
  isInternal: false,
  partitions: [],
  topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
})

async function handle(ctx: RequestContext, req: MetadataRequest): Promise<MetadataResponseInput> {
  const { cluster } = ctx.broker
  const image = cluster.image
  const version = ctx.apiVersion
  const allTopics = req.topics === null || (version === 0 && req.topics.length === 0)
  const answer = (topics: TopicResponse[], clusterAuthorizedOperations = AUTHORIZED_OPERATIONS_OMITTED): MetadataResponseInput => ({
    throttleTimeMs: 0,
    brokers: image.liveBrokers().map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack })),
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    topics,
    clusterAuthorizedOperations,
  })

  // As Kafka's getErrorResponse: every requested topic with the error (a null name as ''), and
  // nothing else (no brokers, no cluster id).
  if (req.topics !== null && version < 12 && req.topics.some((t) => t.name === null || t.topicId !== ZERO_UUID)) {
    const topics = req.topics.map((t) => noTopic(ErrorCode.INVALID_REQUEST, t.name ?? '', t.topicId))
    return { ...answer(topics), brokers: [], clusterId: null, controllerId: -1 }
  }

  const topicsOut: TopicResponse[] = []
  const describe = (topic: TopicInfo): void => {
    const live = (id: number): boolean => image.brokers.get(id)?.fenced === false
    topicsOut.push({
      errorCode: ErrorCode.NONE,
      name: topic.name,
      topicId: topic.topicId,
      isInternal: topic.name.startsWith('__'),
      partitions: topic.partitions.map((p) => ({
        errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
        partitionIndex: p.partition,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        offlineReplicas: p.replicas.filter((id) => !live(id)),
      })),
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    })
  }

  // Unknown ids are answered apart: Kafka sets no authorized operations on them.
  const unknownIds: TopicResponse[] = []
  const ids = new Set((req.topics ?? []).map((t) => t.topicId).filter((id) => id !== ZERO_UUID))
  if (allTopics) {
    for (const topic of image.topicsByName.values()) describe(topic)
  } else if (ids.size > 0) {
    for (const id of ids) {
      const topic = image.topicsById.get(id)
      if (topic) describe(topic)
      else unknownIds.push(noTopic(ErrorCode.UNKNOWN_TOPIC_ID, null, id))
    }
  } else {
    const autoCreate =
      (version < 4 || req.allowAutoTopicCreation) && brokerConfig(image, 'auto.create.topics.enable') === 'true'
    for (const name of new Set(req.topics!.map((t) => t.name ?? ''))) {
      const topic = image.topicsByName.get(name)
      if (topic) {
        describe(topic)
      } else if (validateTopicName(name) !== null) {
        topicsOut.push(noTopic(ErrorCode.INVALID_TOPIC_EXCEPTION, name))
      } else if (!autoCreate) {
        topicsOut.push(noTopic(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name))
      } else {
        const created = await cluster.createTopic({ name, numPartitions: -1, replicationFactor: -1 }, false)
        const raced = created.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS
        topicsOut.push(noTopic(created.errorCode === ErrorCode.NONE || raced ? ErrorCode.LEADER_NOT_AVAILABLE : created.errorCode, name))
      }
    }
  }

  // KIP-430: with no authorizer every supported operation is allowed, on every topic answered
  // (those answered with an error too, as Kafka does).
  if (version >= 8 && req.includeTopicAuthorizedOperations) {
    for (const t of topicsOut) t.topicAuthorizedOperations = allOperationsOn('topic')
  }
  const askedCluster = version >= 8 && version <= 10 && req.includeClusterAuthorizedOperations
  return answer([...unknownIds, ...topicsOut], askedCluster ? allOperationsOn('cluster') : AUTHORIZED_OPERATIONS_OMITTED)
}

defineHandler(metadataApi, { versions: '0-12', handle })
