/**
 * ListGroups (key 16), versions 0-5: the groups this broker coordinates (clients ask every broker),
 * filtered by state (v4+, case-insensitive) and by type (v5+). Every sluice group is a classic
 * group: a types filter without `classic` (case-insensitive) lists none, as Kafka 3.9's classic
 * coordinator answers.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { listGroupsApi, type ListGroupsRequest, type ListGroupsResponseInput } from '../../protocol/messages/16-list-groups.js'
import { defineHandler, type RequestContext } from '../handler.js'

const CLASSIC = 'classic'

function handle(ctx: RequestContext, req: ListGroupsRequest): ListGroupsResponseInput {
  if (!ctx.broker.running) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
  const filter = new Set(req.statesFilter.map((s) => s.toLowerCase()))
  const types = new Set(req.typesFilter.map((t) => t.toLowerCase()))
  if (types.size > 0 && !types.has(CLASSIC)) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [] }
  const groups = ctx.broker.groups
    .list()
    .filter((g) => filter.size === 0 || filter.has(g.state.toLowerCase()))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: CLASSIC }))
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups }
}

defineHandler(listGroupsApi, { versions: '0-5', handle })
