/**
 * DescribeGroups (key 15), versions 0-5; v5+ flexible.
 * Member metadata and assignment are opaque bytes (the consumer protocol's encoding).
 * Not implemented: nothing in these versions (v6 adds error messages).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DescribeGroupsRequest = message('DescribeGroupsRequest', ApiKey.DescribeGroups, '0-5', '5+', [
  f('groups', '[]string', '0+'),
  f('includeAuthorizedOperations', 'bool', '3+'),
])

export const DescribeGroupsResponse = message('DescribeGroupsResponse', ApiKey.DescribeGroups, '0-5', '5+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('groups', '[]DescribedGroup', '0+', {
    fields: [
      f('errorCode', 'int16', '0+'),
      f('groupId', 'string', '0+'),
      f('groupState', 'string', '0+'),
      f('protocolType', 'string', '0+'),
      f('protocolData', 'string', '0+'),
      f('members', '[]DescribedGroupMember', '0+', {
        fields: [
          f('memberId', 'string', '0+'),
          f('groupInstanceId', 'string', '4+', { nullableVersions: '4+', default: null }),
          f('clientId', 'string', '0+'),
          f('clientHost', 'string', '0+'),
          f('memberMetadata', 'bytes', '0+'),
          f('memberAssignment', 'bytes', '0+'),
        ],
      }),
      f('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
    ],
  }),
])

export const describeGroupsApi = api(DescribeGroupsRequest, DescribeGroupsResponse)
export type DescribeGroupsRequest = Decoded<typeof DescribeGroupsRequest>
export type DescribeGroupsResponse = Decoded<typeof DescribeGroupsResponse>
export type DescribeGroupsResponseInput = Input<typeof DescribeGroupsResponse>
