/**
 * OffsetFetch (key 9), versions 0-9 (v8+: several groups). Committed offsets, -1 for a partition
 * without one; a null topic list (v2+) asks for every offset of the group. Offsets a transaction
 * committed with TxnOffsetCommit count only once the transaction commits; with require_stable
 * (v7+, KIP-447) a partition with such pending offsets answers UNSTABLE_OFFSET_COMMIT instead, and
 * the client retries until the transaction ends.
 * v9's member id and epoch (KIP-848) are not checked: sluice's groups are classic groups, for
 * which Kafka checks neither.
 */
import { ErrorCode } from '../../protocol/errors.js'
import type { Broker } from '../broker.js'
import { offsetFetchApi, type OffsetFetchRequest, type OffsetFetchResponseInput } from '../../protocol/messages/09-offset-fetch.js'
import { defineHandler, type RequestContext } from '../handler.js'

type TopicsAsked = OffsetFetchRequest['topics'] & {}
type GroupResponse = OffsetFetchResponseInput['groups'][number]

function fetchGroup(broker: Broker, groupId: string, topics: TopicsAsked | null, requireStable: boolean): { errorCode: number; topics: GroupResponse['topics'] } {
  if (!broker.running) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] }
  const r = broker.groups.fetchOffsets(groupId, topics, requireStable)
  return {
    errorCode: r.errorCode,
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.entry?.offset ?? -1,
        committedLeaderEpoch: p.entry?.leaderEpoch ?? -1,
        metadata: p.entry?.metadata ?? '',
        errorCode: p.errorCode,
      })),
    })),
  }
}

// v8 answers per group (`groups`); v0-7 one group's `topics`: each leaves the other list empty.
function handle(ctx: RequestContext, req: OffsetFetchRequest): OffsetFetchResponseInput {
  const requireStable = ctx.apiVersion >= 7 && req.requireStable
  if (ctx.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      topics: [],
      groups: req.groups.map((g) => {
        const r = fetchGroup(ctx.broker, g.groupId, g.topics, requireStable)
        return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode }
      }),
    }
  }
  const r = fetchGroup(ctx.broker, req.groupId, ctx.apiVersion >= 2 ? req.topics : (req.topics ?? []), requireStable)
  if (ctx.apiVersion < 2 && r.errorCode !== ErrorCode.NONE) {
    // v0-1 have no group-level error: every asked partition carries it.
    return {
      throttleTimeMs: 0,
      groups: [],
      topics: (req.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
      })),
    }
  }
  return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode, groups: [] }
}

defineHandler(offsetFetchApi, { versions: '0-9', handle })
