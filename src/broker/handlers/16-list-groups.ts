/**
 * ListGroups (key 16), versions 0-4: the groups this broker coordinates (clients ask every broker),
 * filtered by state in v4.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { listGroupsApi, type ListGroupsRequest, type ListGroupsResponseInput } from '../../protocol/messages/16-list-groups.js'
import { defineHandler, type RequestContext } from '../handler.js'

function handle(ctx: RequestContext, req: ListGroupsRequest): ListGroupsResponseInput {
  if (!ctx.broker.running) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
  const filter = new Set(req.statesFilter.map((s) => s.toLowerCase()))
  const groups = ctx.broker.groups
    .list()
    .filter((g) => filter.size === 0 || filter.has(g.state.toLowerCase()))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state }))
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups }
}

defineHandler(listGroupsApi, { versions: '0-4', handle })
