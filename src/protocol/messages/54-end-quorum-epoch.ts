/**
 * EndQuorumEpoch (key 54), versions 0-1; v1+ flexible. KIP-595: a leader that resigns (a graceful
 * shutdown) tells the voters, naming its preferred successors, so that they start an election
 * at once instead of waiting out their fetch timeout; the preferred ones (the most caught up)
 * time out sooner. v1 (KIP-853) replaces the successor ids with candidates (id and directory id)
 * and adds the leader's endpoints (a regular field in the request, tagged in the response).
 * Not served yet: a codec schema only, for the controller quorum (no handler, not advertised).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'
import { leaderEndpointsField, quorumEpochResponseFields } from './quorum-fields.js'

export const EndQuorumEpochRequest = message('EndQuorumEpochRequest', ApiKey.EndQuorumEpoch, '0-1', '1+', [
  f('clusterId', 'string', '0+', { nullableVersions: '0+', default: null }),
  f('topics', '[]TopicData', '0+', {
    fields: [
      f('topicName', 'string', '0+'),
      f('partitions', '[]PartitionData', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('leaderId', 'int32', '0+'),
          f('leaderEpoch', 'int32', '0+'),
          f('preferredSuccessors', '[]int32', '0'),
          f('preferredCandidates', '[]ReplicaInfo', '1+', {
            fields: [f('candidateId', 'int32', '1+'), f('candidateDirectoryId', 'uuid', '1+')],
          }),
        ],
      }),
    ],
  }),
  leaderEndpointsField,
])

export const EndQuorumEpochResponse = message('EndQuorumEpochResponse', ApiKey.EndQuorumEpoch, '0-1', '1+', quorumEpochResponseFields)

export const endQuorumEpochApi = api(EndQuorumEpochRequest, EndQuorumEpochResponse)
export type EndQuorumEpochRequest = Decoded<typeof EndQuorumEpochRequest>
export type EndQuorumEpochResponse = Decoded<typeof EndQuorumEpochResponse>
export type EndQuorumEpochResponseInput = Input<typeof EndQuorumEpochResponse>
