/**
 * BeginQuorumEpoch (key 53), versions 0-1; v1+ flexible. KIP-595: a newly elected leader tells
 * every voter it leads `leaderEpoch`, so voters that did not vote for it learn of it at once
 * rather than at their next fetch timeout. v1 (KIP-853) adds the receiving voter's id and
 * directory id and the leader's endpoints (a regular field in the request, tagged in the response).
 * Not served yet: a codec schema only, for the controller quorum (no handler, not advertised).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'
import { leaderEndpointsField, quorumEpochResponseFields } from './quorum-fields.js'

export const BeginQuorumEpochRequest = message('BeginQuorumEpochRequest', ApiKey.BeginQuorumEpoch, '0-1', '1+', [
  f('clusterId', 'string', '0+', { nullableVersions: '0+', default: null }),
  f('voterId', 'int32', '1+', { default: -1 }),
  f('topics', '[]TopicData', '0+', {
    fields: [
      f('topicName', 'string', '0+'),
      f('partitions', '[]PartitionData', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('voterDirectoryId', 'uuid', '1+'),
          f('leaderId', 'int32', '0+'),
          f('leaderEpoch', 'int32', '0+'),
        ],
      }),
    ],
  }),
  leaderEndpointsField,
])

export const BeginQuorumEpochResponse = message('BeginQuorumEpochResponse', ApiKey.BeginQuorumEpoch, '0-1', '1+', quorumEpochResponseFields)

export const beginQuorumEpochApi = api(BeginQuorumEpochRequest, BeginQuorumEpochResponse)
export type BeginQuorumEpochRequest = Decoded<typeof BeginQuorumEpochRequest>
export type BeginQuorumEpochResponse = Decoded<typeof BeginQuorumEpochResponse>
export type BeginQuorumEpochResponseInput = Input<typeof BeginQuorumEpochResponse>
