/**
 * OffsetDelete (key 47), version 0: removes a group's committed offsets for some partitions;
 * GROUP_SUBSCRIBED_TO_TOPIC while the group has consuming members.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { offsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponseInput } from '../../protocol/messages/47-offset-delete.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: OffsetDeleteRequest): Promise<OffsetDeleteResponseInput> {
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

defineHandler(offsetDeleteApi, { versions: '0', handle })
