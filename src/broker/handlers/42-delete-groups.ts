/**
 * DeleteGroups (key 42), versions 0-2: only groups without members (NON_EMPTY_GROUP otherwise);
 * their offsets and metadata are removed from __consumer_offsets.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { deleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponseInput } from '../../protocol/messages/42-delete-groups.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: DeleteGroupsRequest): Promise<DeleteGroupsResponseInput> {
  const results = []
  for (const groupId of req.groupsNames) {
    const errorCode = ctx.broker.running ? await ctx.broker.groups.deleteGroup(groupId) : ErrorCode.NOT_COORDINATOR
    results.push({ groupId, errorCode })
  }
  return { throttleTimeMs: 0, results }
}

defineHandler(deleteGroupsApi, { versions: '0-2', handle })
