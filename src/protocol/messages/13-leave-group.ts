/**
 * LeaveGroup (key 13), versions 0-5; v4+ flexible.
 * v0-2 name one member (memberId); v3+ a batch of members (static members by instance id).
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const LeaveGroupRequest = message('LeaveGroupRequest', ApiKey.LeaveGroup, '0-5', '4+', [
  f('groupId', 'string', '0+'),
  f('memberId', 'string', '0-2'),
  f('members', '[]MemberIdentity', '3+', {
    fields: [
      f('memberId', 'string', '3+'),
      f('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
      f('reason', 'string', '5+', { nullableVersions: '5+', default: null }),
    ],
  }),
])

export const LeaveGroupResponse = message('LeaveGroupResponse', ApiKey.LeaveGroup, '0-5', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0+'),
  f('members', '[]MemberResponse', '3+', {
    fields: [
      f('memberId', 'string', '3+'),
      f('groupInstanceId', 'string', '3+', { nullableVersions: '3+' }),
      f('errorCode', 'int16', '3+'),
    ],
  }),
])

export const leaveGroupApi = api(LeaveGroupRequest, LeaveGroupResponse)
export type LeaveGroupRequest = Decoded<typeof LeaveGroupRequest>
export type LeaveGroupResponse = Decoded<typeof LeaveGroupResponse>
export type LeaveGroupResponseInput = Input<typeof LeaveGroupResponse>
