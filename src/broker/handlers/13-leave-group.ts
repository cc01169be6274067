/**
 * LeaveGroup (key 13), versions 0-4: one member (v0-2) or several, by member id or
 * group.instance.id (v3+). The group rebalances without them.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { registerHandler, type RequestContext } from '../handler.js'

interface LeaveGroupRequest {
  groupId: string
  memberId: string
  members: { memberId: string; groupInstanceId: string | null }[]
}

function handle(ctx: RequestContext, req: LeaveGroupRequest): unknown {
  const members = ctx.apiVersion >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null }]
  if (!ctx.broker.running) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_COORDINATOR, members: [] }
  const r = ctx.broker.groups.leave(req.groupId, members)
  if (ctx.apiVersion < 3) return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : r.memberCodes[0] ?? 0, members: [] }
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    members: members.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: r.memberCodes[i] ?? 0 })),
  }
}

registerHandler({ apiKey: 13, name: 'LeaveGroup', minVersion: 0, maxVersion: 4, handle })
