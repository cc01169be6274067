/**
 * DescribeQuorum (key 55), versions 0-2; always flexible. What `kafka-metadata-quorum.sh
 * describe` reads from the quorum's leader: its id and epoch, the high watermark, and each voter's
 * and observer's log end offset. v1 (KIP-836) adds each replica's last fetch and last caught-up
 * times (-1 when unknown); v2 (KIP-853) adds error messages, replica directory ids and the voters'
 * listeners (`nodes`).
 * Served by src/broker/handlers/55-describe-quorum.ts; sent by `sluice cluster quorum`.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

/** The metadata log's topic and partition: the only one a DescribeQuorum may name. */
export const METADATA_TOPIC = '__cluster_metadata'
export const METADATA_PARTITION = 0

/** Kafka's common struct ReplicaState: one voter or observer as the leader last saw it. */
const replicaStateFields = [
  f('replicaId', 'int32', '0+'),
  f('replicaDirectoryId', 'uuid', '2+'),
  f('logEndOffset', 'int64', '0+'),
  f('lastFetchTimestamp', 'int64', '1+', { default: -1 }),
  f('lastCaughtUpTimestamp', 'int64', '1+', { default: -1 }),
]

export const DescribeQuorumRequest = message('DescribeQuorumRequest', ApiKey.DescribeQuorum, '0-2', '0+', [
  f('topics', '[]TopicData', '0+', {
    fields: [f('topicName', 'string', '0+'), f('partitions', '[]PartitionData', '0+', { fields: [f('partitionIndex', 'int32', '0+')] })],
  }),
])

export const DescribeQuorumResponse = message('DescribeQuorumResponse', ApiKey.DescribeQuorum, '0-2', '0+', [
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '2+', { nullableVersions: '2+', default: '' }),
  f('topics', '[]TopicData', '0+', {
    fields: [
      f('topicName', 'string', '0+'),
      f('partitions', '[]PartitionData', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('errorCode', 'int16', '0+'),
          f('errorMessage', 'string', '2+', { nullableVersions: '2+', default: '' }),
          f('leaderId', 'int32', '0+'),
          f('leaderEpoch', 'int32', '0+'),
          f('highWatermark', 'int64', '0+'),
          f('currentVoters', '[]ReplicaState', '0+', { fields: replicaStateFields }),
          f('observers', '[]ReplicaState', '0+', { fields: replicaStateFields }),
        ],
      }),
    ],
  }),
  f('nodes', '[]Node', '2+', {
    fields: [
      f('nodeId', 'int32', '2+'),
      f('listeners', '[]Listener', '2+', {
        fields: [f('name', 'string', '2+'), f('host', 'string', '2+'), f('port', 'uint16', '2+')],
      }),
    ],
  }),
])

export const describeQuorumApi = api(DescribeQuorumRequest, DescribeQuorumResponse)
export type DescribeQuorumRequest = Decoded<typeof DescribeQuorumRequest>
export type DescribeQuorumResponse = Decoded<typeof DescribeQuorumResponse>
export type DescribeQuorumResponseInput = Input<typeof DescribeQuorumResponse>
