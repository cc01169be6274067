/**
 * JoinGroup (key 11), versions 0-9; v6+ flexible.
 * v4+ clients expect the two-step join (MEMBER_ID_REQUIRED with an assigned memberId first);
 * v5+ carry static membership (groupInstanceId); v8+ a reason; v9 skipAssignment.
 * Protocol metadata is opaque bytes (views into the request frame).
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const JoinGroupRequest = message('JoinGroupRequest', ApiKey.JoinGroup, '0-9', '6+', [
  f('groupId', 'string', '0+'),
  f('sessionTimeoutMs', 'int32', '0+'),
  f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
  f('memberId', 'string', '0+'),
  f('groupInstanceId', 'string', '5+', { nullableVersions: '5+', default: null }),
  f('protocolType', 'string', '0+'),
  f('protocols', '[]JoinGroupRequestProtocol', '0+', {
    fields: [f('name', 'string', '0+'), f('metadata', 'bytes', '0+')],
  }),
  f('reason', 'string', '8+', { nullableVersions: '8+', default: null }),
])

export const JoinGroupResponse = message('JoinGroupResponse', ApiKey.JoinGroup, '0-9', '6+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('errorCode', 'int16', '0+'),
  f('generationId', 'int32', '0+', { default: -1 }),
  f('protocolType', 'string', '7+', { nullableVersions: '7+', default: null }),
  f('protocolName', 'string', '0+', { nullableVersions: '7+' }),
  f('leader', 'string', '0+'),
  f('skipAssignment', 'bool', '9+', { default: false }),
  f('memberId', 'string', '0+'),
  f('members', '[]JoinGroupResponseMember', '0+', {
    fields: [
      f('memberId', 'string', '0+'),
      f('groupInstanceId', 'string', '5+', { nullableVersions: '5+', default: null }),
      f('metadata', 'bytes', '0+'),
    ],
  }),
])

export const joinGroupApi = api(JoinGroupRequest, JoinGroupResponse)
export type JoinGroupRequest = Decoded<typeof JoinGroupRequest>
export type JoinGroupResponse = Decoded<typeof JoinGroupResponse>
export type JoinGroupResponseInput = Input<typeof JoinGroupResponse>
