/**
 * OffsetFetch (key 9), versions 0-8 (v8: several groups). Committed offsets, -1 for a partition
 * without one; a null topic list (v2+) asks for every offset of the group.
 * Not implemented: require_stable (v7+) has no effect (no transactions: offsets are always stable).
 */
import { ErrorCode } from '../../protocol/errors.js'
import type { Broker } from '../broker.js'
import { offsetFetchApi, type OffsetFetchRequest, type OffsetFetchResponseInput } from '../../protocol/messages/09-offset-fetch.js'
import { defineHandler, type RequestContext } from '../handler.js'

type TopicsAsked = OffsetFetchRequest['topics'] & {}
type GroupResponse = OffsetFetchResponseInput['groups'][number]

function fetchGroup(broker: Broker, groupId: string, topics: TopicsAsked | null): { errorCode: number; topics: GroupResponse['topics'] } {
  if (!broker.running) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] }
  const r = broker.groups.fetchOffsets(groupId, topics)
  return {
    errorCode: r.errorCode,
    topics: r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.entry?.offset ?? -1,
        committedLeaderEpoch: p.entry?.leaderEpoch ?? -1,
        metadata: p.entry?.metadata ?? '',
        errorCode: ErrorCode.NONE,
      })),
    })),
  }
}

// v8 answers per group (`groups`); v0-7 one group's `topics`: each leaves the other list empty.
function handle(ctx: RequestContext, req: OffsetFetchRequest): OffsetFetchResponseInput {
  if (ctx.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      topics: [],
      groups: req.groups.map((g) => {
        const r = fetchGroup(ctx.broker, g.groupId, g.topics)
        return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode }
      }),
    }
  }
  const r = fetchGroup(ctx.broker, req.groupId, ctx.apiVersion >= 2 ? req.topics : (req.topics ?? []))
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

defineHandler(offsetFetchApi, { versions: '0-8', handle })
