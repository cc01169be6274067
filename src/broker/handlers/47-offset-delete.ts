/**
 * OffsetDelete (key 47), version 0: removes a group's committed offsets for some partitions;
 * GROUP_SUBSCRIBED_TO_TOPIC while the group has consuming members.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { registerHandler, type RequestContext } from '../handler.js'

interface OffsetDeleteRequest {
  groupId: string
  topics: { name: string; partitions: { partitionIndex: number }[] }[]
}

async function handle(ctx: RequestContext, req: OffsetDeleteRequest): Promise<unknown> {
  if (!ctx.broker.running) return { errorCode: ErrorCode.NOT_COORDINATOR, throttleTimeMs: 0, topics: [] }
  const r = await ctx.broker.groups.deleteOffsets(req.groupId, req.topics)
  return {
    errorCode: r.errorCode,
    throttleTimeMs: 0,
    topics:
      r.errorCode !== ErrorCode.NONE
        ? []
        : req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: r.codes.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.NONE })),
          })),
  }
}

registerHandler({ apiKey: 47, name: 'OffsetDelete', minVersion: 0, maxVersion: 0, handle })
