/**
 * FindCoordinator (key 10), versions 0-6 (v4+: several keys in one request).
 * A group's coordinator (key type 0) is the leader of its partition of __consumer_offsets, a
 * transactional id's (key type 1) the leader of its partition of __transaction_state; each topic
 * is created on first use, as Kafka does (offsets.topic.* and transaction.state.log.* configs,
 * the replication factor clamped to the live brokers). COORDINATOR_NOT_AVAILABLE while the
 * partition has no leader. Share groups (key type 2, KIP-932) are not served: v6 answers
 * COORDINATOR_NOT_AVAILABLE for them as Kafka 3.9 does, older versions INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { coordinatorPartitionFor } from '../../cluster/coordinator-placement.js'
import { OFFSETS_TOPIC, ensureOffsetsTopic } from '../group-coordinator.js'
import { TXN_STATE_TOPIC, ensureTxnStateTopic } from '../txn-state-log.js'
import { findCoordinatorApi, type FindCoordinatorRequest, type FindCoordinatorResponseInput } from '../../protocol/messages/10-find-coordinator.js'
import { defineHandler, type RequestContext } from '../handler.js'

type Found = FindCoordinatorResponseInput['coordinators'][number]

const SHARE_GROUP = 2

async function find(ctx: RequestContext, key: string, keyType: number): Promise<Found> {
  const out: Found = { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.NONE, errorMessage: null }
  const fail = (errorCode: number, errorMessage: string): Found => ({ ...out, errorCode, errorMessage })
  if (keyType === SHARE_GROUP && ctx.apiVersion >= 6) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'share groups are not served')
  if (keyType !== 0 && keyType !== 1) return fail(ErrorCode.INVALID_REQUEST, `unknown coordinator key type ${keyType}`)
  const topicName = keyType === 0 ? OFFSETS_TOPIC : TXN_STATE_TOPIC
  if (key === '') return fail(ErrorCode.INVALID_REQUEST, keyType === 0 ? 'the group id is empty' : 'the transactional id is empty')
  const ensured =
    keyType === 0
      ? await ensureOffsetsTopic(ctx.broker.cluster)
      : await ensureTxnStateTopic(ctx.broker.cluster)
  if (!ensured) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${topicName} could not be created`)
  const image = ctx.broker.cluster.image
  const topic = image.topicsByName.get(topicName)!
  const p = topic.partitions[coordinatorPartitionFor(key, topic.partitions.length)]!
  const leader = p.leader >= 0 ? image.brokers.get(p.leader) : undefined
  if (!leader || leader.fenced) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${topicName}-${p.partition} has no leader`)
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

defineHandler(findCoordinatorApi, { versions: '0-6', handle })
