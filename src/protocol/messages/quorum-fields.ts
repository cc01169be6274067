/**
 * The fields the quorum's APIs (Vote 52, BeginQuorumEpoch 53, EndQuorumEpoch 54) write alike, as
 * Kafka's schemas repeat them: a voter's answer per partition (its error and the leader it knows),
 * the leader's endpoints in a request (v1+), the nodes' endpoints tagged on a response (v1+), and
 * the whole response of BeginQuorumEpoch and EndQuorumEpoch, which Kafka's schemas make alike.
 */
import { f } from '../schema.js'

/** A partition's answer: the first fields of each response's PartitionData. */
export const leaderAnswerFields = [
  f('partitionIndex', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('leaderId', 'int32', '0+'),
  f('leaderEpoch', 'int32', '0+'),
] as const

export const leaderEndpointsField = f('leaderEndpoints', '[]LeaderEndpoint', '1+', {
  fields: [f('name', 'string', '1+'), f('host', 'string', '1+'), f('port', 'uint16', '1+')],
})

export const quorumNodeEndpointsField = f('nodeEndpoints', '[]NodeEndpoint', '1+', {
  taggedVersions: '1+',
  tag: 0,
  fields: [f('nodeId', 'int32', '1+'), f('host', 'string', '1+'), f('port', 'uint16', '1+')],
})

/** BeginQuorumEpoch's and EndQuorumEpoch's responses, field for field the same in Kafka's schemas. */
export const quorumEpochResponseFields = [
  f('errorCode', 'int16', '0+'),
  f('topics', '[]TopicData', '0+', {
    fields: [
      f('topicName', 'string', '0+'),
      f('partitions', '[]PartitionData', '0+', {
        fields: [...leaderAnswerFields],
      }),
    ],
  }),
  quorumNodeEndpointsField,
]
