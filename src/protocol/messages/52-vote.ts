/**
 * Vote (key 52), versions 0-1; always flexible. KIP-595's election request: a candidate asks each
 * voter for its vote in `candidateEpoch`, offering its last log epoch and offset so a voter can
 * refuse a candidate whose log is behind its own. The quorum's one partition travels as a
 * topic/partition pair (`__cluster_metadata`-0), as in Kafka. v1 (KIP-853) adds the voter's and the
 * candidate's ids and directory ids, and the leader's endpoints in the response (tagged).
 * Pre-vote (KIP-996, a v2 of this API) is not in Kafka 3.9, so not here.
 * Not served yet: a codec schema only, for the controller quorum (no handler, not advertised).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'
import { leaderAnswerFields, quorumNodeEndpointsField } from './quorum-fields.js'

export const VoteRequest = message('VoteRequest', ApiKey.Vote, '0-1', '0+', [
  f('clusterId', 'string', '0+', { nullableVersions: '0+', default: null }),
  f('voterId', 'int32', '1+', { default: -1 }),
  f('topics', '[]TopicData', '0+', {
    fields: [
      f('topicName', 'string', '0+'),
      f('partitions', '[]PartitionData', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('candidateEpoch', 'int32', '0+'),
          f('candidateId', 'int32', '0+'),
          f('candidateDirectoryId', 'uuid', '1+'),
          f('voterDirectoryId', 'uuid', '1+'),
          f('lastOffsetEpoch', 'int32', '0+'),
          f('lastOffset', 'int64', '0+'),
        ],
      }),
    ],
  }),
])

export const VoteResponse = message('VoteResponse', ApiKey.Vote, '0-1', '0+', [
  f('errorCode', 'int16', '0+'),
  f('topics', '[]TopicData', '0+', {
    fields: [
      f('topicName', 'string', '0+'),
      f('partitions', '[]PartitionData', '0+', {
        fields: [
          ...leaderAnswerFields,
          f('voteGranted', 'bool', '0+'),
        ],
      }),
    ],
  }),
  quorumNodeEndpointsField,
])

export const voteApi = api(VoteRequest, VoteResponse)
export type VoteRequest = Decoded<typeof VoteRequest>
export type VoteResponse = Decoded<typeof VoteResponse>
export type VoteResponseInput = Input<typeof VoteResponse>
