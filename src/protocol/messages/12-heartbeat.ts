/**
 * Heartbeat (key 12), versions 0-4; v4+ flexible.
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const HeartbeatRequest = message('HeartbeatRequest', ApiKey.Heartbeat, '0-4', '4+', [
  f('groupId', 'string', '0+'),
  f('generationId', 'int32', '0+'),
  f('memberId', 'string', '0+'),
  f('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
])

export const HeartbeatResponse = message('HeartbeatResponse', ApiKey.Heartbeat, '0-4', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0+'),
])

export const heartbeatApi = api(HeartbeatRequest, HeartbeatResponse)
export type HeartbeatRequest = Decoded<typeof HeartbeatRequest>
export type HeartbeatResponse = Decoded<typeof HeartbeatResponse>
export type HeartbeatResponseInput = Input<typeof HeartbeatResponse>
