/**
 * Heartbeat (key 12), versions 0-4: keeps a member's session; REBALANCE_IN_PROGRESS tells it to
 * rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID fence stale members.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { heartbeatApi, type HeartbeatRequest, type HeartbeatResponseInput } from '../../protocol/messages/12-heartbeat.js'
import { defineHandler, type RequestContext } from '../handler.js'

function handle(ctx: RequestContext, req: HeartbeatRequest): HeartbeatResponseInput {
  const errorCode = ctx.broker.running
    ? ctx.broker.groups.heartbeat(req.groupId, { memberId: req.memberId, generationId: req.generationId, groupInstanceId: req.groupInstanceId })
    : ErrorCode.NOT_COORDINATOR
  return { throttleTimeMs: 0, errorCode }
}

defineHandler(heartbeatApi, { versions: '0-4', handle })
