/**
 * Heartbeat (key 12), versions 0-4: keeps a member's session; REBALANCE_IN_PROGRESS tells it to
 * rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID fence stale members.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { registerHandler, type RequestContext } from '../handler.js'

interface HeartbeatRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

function handle(ctx: RequestContext, req: HeartbeatRequest): unknown {
  const errorCode = ctx.broker.running
    ? ctx.broker.groups.heartbeat(req.groupId, { memberId: req.memberId, generationId: req.generationId, groupInstanceId: req.groupInstanceId })
    : ErrorCode.NOT_COORDINATOR
  return { throttleTimeMs: 0, errorCode }
}

registerHandler({ apiKey: 12, name: 'Heartbeat', minVersion: 0, maxVersion: 4, handle })
