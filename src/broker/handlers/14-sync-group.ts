/**
 * SyncGroup (key 14), versions 0-5. The leader's assignment reaches every member; followers wait
 * for it. v5: the protocol type and name the member sends must be the group's
 * (INCONSISTENT_GROUP_PROTOCOL otherwise), and the answer carries them. Errors: UNKNOWN_MEMBER_ID,
 * ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, INCONSISTENT_GROUP_PROTOCOL, NOT_COORDINATOR.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { syncGroupApi, type SyncGroupRequest, type SyncGroupResponseInput } from '../../protocol/messages/14-sync-group.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: SyncGroupRequest): Promise<SyncGroupResponseInput> {
  const r = ctx.broker.running
    ? await ctx.broker.groups.sync(req.groupId, {
        memberId: req.memberId,
        generationId: req.generationId,
        groupInstanceId: req.groupInstanceId,
        protocolType: req.protocolType,
        protocolName: req.protocolName,
        assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
      })
    : { errorCode: ErrorCode.NOT_COORDINATOR, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }
  return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment }
}

defineHandler(syncGroupApi, { versions: '0-5', handle })
