/**
 * SyncGroup (key 14), versions 0-4. The leader's assignment reaches every member; followers wait
 * for it. Errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS,
 * INCONSISTENT_GROUP_PROTOCOL, NOT_COORDINATOR. Not implemented: v5 (protocol type and name in
 * the request and response).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { registerHandler, type RequestContext } from '../handler.js'

interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  protocolType: string | null
  protocolName: string | null
  assignments: { memberId: string; assignment: Buffer }[]
}

async function handle(ctx: RequestContext, req: SyncGroupRequest): Promise<unknown> {
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

registerHandler({ apiKey: 14, name: 'SyncGroup', minVersion: 0, maxVersion: 4, handle })
