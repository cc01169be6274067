/**
 * LeaveGroup (key 13), versions 0-5: one member (v0-2) or several, by member id or
 * group.instance.id (v3+). The group rebalances without them. v5's per-member reason is not kept
 * (Kafka logs it).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { leaveGroupApi, type LeaveGroupRequest, type LeaveGroupResponseInput } from '../../protocol/messages/13-leave-group.js'
import { defineHandler, type RequestContext } from '../handler.js'

function handle(ctx: RequestContext, req: LeaveGroupRequest): LeaveGroupResponseInput {
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

defineHandler(leaveGroupApi, { versions: '0-5', handle })
