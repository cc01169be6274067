/**
 * FindCoordinator (key 10), versions 0-4 (v4: several keys in one request).
 * A group's coordinator is the leader of its partition of __consumer_offsets; the topic is created
 * on first use, as Kafka does (offsets.topic.num.partitions, offsets.topic.replication.factor
 * clamped to the live brokers). Not implemented: transaction coordinators (key type 1 answers
 * COORDINATOR_NOT_AVAILABLE: sluice has no transactions).
 */
import { brokerConfig } from '../../cluster/configs.js'
import { ErrorCode } from '../../protocol/errors.js'
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../group-coordinator.js'
import { findCoordinatorApi, type FindCoordinatorRequest, type FindCoordinatorResponseInput } from '../../protocol/messages/10-find-coordinator.js'
import { defineHandler, type RequestContext } from '../handler.js'

type Found = FindCoordinatorResponseInput['coordinators'][number]

async function ensureOffsetsTopic(ctx: RequestContext): Promise<boolean> {
  const { cluster } = ctx.broker
  if (cluster.image.topicsByName.has(OFFSETS_TOPIC)) return true
  const cfg = cluster.image.brokerConfigs
  const live = cluster.image.liveBrokers().length
  const created = await cluster.createTopic(
    {
      name: OFFSETS_TOPIC,
      numPartitions: Number(brokerConfig(cfg, 'offsets.topic.num.partitions')),
      replicationFactor: Math.max(1, Math.min(Number(brokerConfig(cfg, 'offsets.topic.replication.factor')), live)),
      configs: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    false,
  )
  return created.errorCode === ErrorCode.NONE || created.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS
}

async function find(ctx: RequestContext, key: string, keyType: number): Promise<Found> {
  const out: Found = { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.NONE, errorMessage: null }
  const fail = (errorCode: number, errorMessage: string): Found => ({ ...out, errorCode, errorMessage })
  if (keyType !== 0) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'sluice has no transaction coordinator')
  if (key === '') return fail(ErrorCode.INVALID_REQUEST, 'the group id is empty')
  if (!(await ensureOffsetsTopic(ctx))) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC} could not be created`)
  const image = ctx.broker.cluster.image
  const topic = image.topicsByName.get(OFFSETS_TOPIC)!
  const p = topic.partitions[offsetsPartitionFor(key, topic.partitions.length)]!
  const leader = p.leader >= 0 ? image.brokers.get(p.leader) : undefined
  if (!leader || leader.fenced) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC}-${p.partition} has no leader`)
  return { ...out, nodeId: leader.id, host: leader.host, port: leader.port }
}

// v4 answers a list of coordinators; v0-3 one coordinator at the top level: each leaves the
// other form empty.
async function handle(ctx: RequestContext, req: FindCoordinatorRequest): Promise<FindCoordinatorResponseInput> {
  if (ctx.apiVersion >= 4) {
    const coordinators: Found[] = []
    for (const key of req.coordinatorKeys) coordinators.push(await find(ctx, key, req.keyType))
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators }
  }
  const { key: _key, ...one } = await find(ctx, req.key, req.keyType)
  return { throttleTimeMs: 0, ...one, coordinators: [] }
}

defineHandler(findCoordinatorApi, { versions: '0-4', handle })
