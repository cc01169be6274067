/**
 * SyncGroup (key 14), versions 0-5; v4+ flexible.
 * The leader sends the assignments; every member gets its own back. v5 echoes protocol type/name.
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const SyncGroupRequest = message('SyncGroupRequest', ApiKey.SyncGroup, '0-5', '4+', [
  f('groupId', 'string', '0+'),
  f('generationId', 'int32', '0+'),
  f('memberId', 'string', '0+'),
  f('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
  f('protocolType', 'string', '5+', { nullableVersions: '5+', default: null }),
  f('protocolName', 'string', '5+', { nullableVersions: '5+', default: null }),
  f('assignments', '[]SyncGroupRequestAssignment', '0+', {
    fields: [f('memberId', 'string', '0+'), f('assignment', 'bytes', '0+')],
  }),
])

export const SyncGroupResponse = message('SyncGroupResponse', ApiKey.SyncGroup, '0-5', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0+'),
  f('protocolType', 'string', '5+', { nullableVersions: '5+', default: null }),
  f('protocolName', 'string', '5+', { nullableVersions: '5+', default: null }),
  f('assignment', 'bytes', '0+'),
])

export const syncGroupApi = api(SyncGroupRequest, SyncGroupResponse)
export type SyncGroupRequest = Decoded<typeof SyncGroupRequest>
export type SyncGroupResponse = Decoded<typeof SyncGroupResponse>
export type SyncGroupResponseInput = Input<typeof SyncGroupResponse>
