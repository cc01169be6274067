/**
 * DescribeGroups (key 15), versions 0-5: state, protocol, and members with their client id, host,
 * subscription metadata and assignment. A group this broker does not coordinate answers
 * NOT_COORDINATOR; an unknown group answers state Dead, as Kafka does; a group known only by its
 * committed offsets (after a restart) is Empty, as ListGroups reports it.
 * Authorized operations (v3+, KIP-430), when asked: a group's every operation, as Kafka answers
 * without an authorizer, on the groups answered without an error; otherwise -2147483648.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { AUTHORIZED_OPERATIONS_OMITTED, allOperationsOn } from '../../protocol/acl-operations.js'
import { describeGroupsApi, type DescribeGroupsRequest, type DescribeGroupsResponseInput } from '../../protocol/messages/15-describe-groups.js'
import { defineHandler, type RequestContext } from '../handler.js'

type DescribedGroup = DescribeGroupsResponseInput['groups'][number]

function handle(ctx: RequestContext, req: DescribeGroupsRequest): DescribeGroupsResponseInput {
  const authorizedOperations = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? allOperationsOn('group') : AUTHORIZED_OPERATIONS_OMITTED
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId): DescribedGroup => {
      const base: DescribedGroup = { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations }
      const failed = (errorCode: number): DescribedGroup => ({ ...base, errorCode, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED })
      if (!ctx.broker.running) return failed(ErrorCode.NOT_COORDINATOR)
      const { errorCode, group, state, protocolType } = ctx.broker.groups.describe(groupId)
      if (errorCode !== ErrorCode.NONE) return failed(errorCode)
      // A group with only committed offsets is Empty, as ListGroups says (not Dead).
      if (!group) return { ...base, groupState: state, protocolType }
      return {
        ...base,
        groupState: state,
        protocolType,
        protocolData: group.protocolName ?? '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? Buffer.alloc(0),
          memberAssignment: m.assignment,
        })),
      }
    }),
  }
}

defineHandler(describeGroupsApi, { versions: '0-5', handle })
