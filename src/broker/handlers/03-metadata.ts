/**
 * Metadata (key 3), versions 0-9.
 * Brokers (live, unfenced), cluster id, controller, and per topic its partitions with leader,
 * leader epoch, replicas, ISR and offline replicas. A null topic list (v1+) means every topic;
 * v0's empty list means every topic too.
 * Auto-creation: when `auto.create.topics.enable` and the request allows it (v4+; always for
 * older versions), an unknown valid topic name is created with the broker defaults and answered
 * LEADER_NOT_AVAILABLE in this response, as Kafka does; the client's next Metadata sees it.
 * Not implemented: authorized operations (sent as -2147483648, "not requested").
 */
import { ErrorCode } from '../../protocol/errors.js'
import { validateTopicName } from '../../cluster/controller.js'
import { brokerConfig } from '../../cluster/configs.js'
import type { TopicInfo } from '../../cluster/metadata.js'
import { metadataApi, type MetadataRequest, type MetadataResponseInput } from '../../protocol/messages/03-metadata.js'
import { defineHandler, type RequestContext } from '../handler.js'

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648
const ZERO_UUID = '00000000000000000000000000000000'

type TopicResponse = MetadataResponseInput['topics'][number]

async function handle(ctx: RequestContext, req: MetadataRequest): Promise<MetadataResponseInput> {
  const { cluster } = ctx.broker
  const image = cluster.image
  const allTopics = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0)

  const topicsOut: TopicResponse[] = []
  const describe = (topic: TopicInfo): void => {
    topicsOut.push({
      errorCode: ErrorCode.NONE,
      name: topic.name,
      topicId: topic.topicId,
      isInternal: topic.name.startsWith('__'),
      partitions: topic.partitions.map((p) => {
        const live = (id: number): boolean => image.brokers.get(id)?.fenced === false
        return {
          errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
          partitionIndex: p.partition,
          leaderId: p.leader,
          leaderEpoch: p.leaderEpoch,
          replicaNodes: p.replicas,
          isrNodes: p.isr,
          offlineReplicas: p.replicas.filter((id) => !live(id)),
        }
      }),
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    })
  }

  if (allTopics) {
    for (const topic of image.topicsByName.values()) describe(topic)
  } else {
    const autoCreate =
      (ctx.apiVersion < 4 || req.allowAutoTopicCreation) &&
      brokerConfig(image, 'auto.create.topics.enable') === 'true'
    for (const wanted of req.topics!) {
      const name = wanted.name ?? ''
      const topic = image.topicsByName.get(name)
      if (topic) {
        describe(topic)
        continue
      }
      const unknown = (errorCode: number): void => {
        topicsOut.push({
          errorCode,
          name,
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        })
      }
      if (validateTopicName(name) !== null) {
        unknown(ErrorCode.INVALID_TOPIC_EXCEPTION)
      } else if (!autoCreate) {
        unknown(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      } else {
        const created = await cluster.createTopic({ name, numPartitions: -1, replicationFactor: -1 }, false)
        const raced = created.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS
        unknown(created.errorCode === ErrorCode.NONE || raced ? ErrorCode.LEADER_NOT_AVAILABLE : created.errorCode)
      }
    }
  }

  return {
    throttleTimeMs: 0,
    brokers: image.liveBrokers().map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack })),
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    topics: topicsOut,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  }
}

defineHandler(metadataApi, { versions: '0-9', handle })
