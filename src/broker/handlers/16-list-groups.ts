/**
 * ListGroups (key 16), versions 0-4: the groups this broker coordinates (clients ask every broker),
 * filtered by state in v4.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { registerHandler, type RequestContext } from '../handler.js'

function handle(ctx: RequestContext, req: { statesFilter: string[] }): unknown {
  if (!ctx.broker.running) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
  const filter = new Set(req.statesFilter.map((s) => s.toLowerCase()))
  const groups = ctx.broker.groups
    .list()
    .filter((g) => filter.size === 0 || filter.has(g.state.toLowerCase()))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state }))
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups }
}

registerHandler({ apiKey: 16, name: 'ListGroups', minVersion: 0, maxVersion: 4, handle })
