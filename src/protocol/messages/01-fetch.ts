/**
 * Fetch (key 1), versions 0-17; v12+ flexible.
 * Response `records` decode to a view and encode by reference; on encode they may be a list of
 * stored batches (Buffer[]), written back to back without concatenation.
 * Topics are named up to v12 and identified by topic id from v13 (the name is absent then, and
 * the id the zero UUID before). v15 moves the replica id into the tagged ReplicaState, v16 adds
 * the tagged NodeEndpoints (KIP-951), v17 the follower's tagged ReplicaDirectoryId. Fetch
 * sessions (KIP-227) are plain fields here; whether the broker honours them is its business.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const FetchRequest = message('FetchRequest', ApiKey.Fetch, '0-17', '12+', [
  f('clusterId', 'string', '12+', { nullableVersions: '12+', taggedVersions: '12+', tag: 0, default: null }),
  f('replicaId', 'int32', '0-14', { default: -1 }),
  f('replicaState', 'ReplicaState', '15+', {
    taggedVersions: '15+',
    tag: 1,
    fields: [f('replicaId', 'int32', '15+', { default: -1 }), f('replicaEpoch', 'int64', '15+', { default: -1 })],
  }),
  f('maxWaitMs', 'int32', '0+'),
  f('minBytes', 'int32', '0+'),
  f('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
  f('isolationLevel', 'int8', '4+', { default: 0 }),
  f('sessionId', 'int32', '7+', { default: 0 }),
  f('sessionEpoch', 'int32', '7+', { default: -1 }),
  f('topics', '[]FetchTopic', '0+', {
    fields: [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      f('partitions', '[]FetchPartition', '0+', {
        fields: [
          f('partition', 'int32', '0+'),
          f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
          f('fetchOffset', 'int64', '0+'),
          f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
          f('logStartOffset', 'int64', '5+', { default: -1 }),
          f('partitionMaxBytes', 'int32', '0+'),
          f('replicaDirectoryId', 'uuid', '17+', { taggedVersions: '17+', tag: 0 }),
        ],
      }),
    ],
  }),
  f('forgottenTopicsData', '[]ForgottenTopic', '7+', {
    fields: [f('topic', 'string', '7-12'), f('topicId', 'uuid', '13+'), f('partitions', '[]int32', '7+')],
  }),
  f('rackId', 'string', '11+', { default: '' }),
])

export const FetchResponse = message('FetchResponse', ApiKey.Fetch, '0-17', '12+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '7+'),
  f('sessionId', 'int32', '7+', { default: 0 }),
  f('responses', '[]FetchableTopicResponse', '0+', {
    fields: [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      f('partitions', '[]PartitionData', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('errorCode', 'int16', '0+'),
          f('highWatermark', 'int64', '0+'),
          f('lastStableOffset', 'int64', '4+', { default: -1 }),
          f('logStartOffset', 'int64', '5+', { default: -1 }),
          f('divergingEpoch', 'EpochEndOffset', '12+', {
            taggedVersions: '12+',
            tag: 0,
            fields: [f('epoch', 'int32', '12+', { default: -1 }), f('endOffset', 'int64', '12+', { default: -1 })],
          }),
          f('currentLeader', 'LeaderIdAndEpoch', '12+', {
            taggedVersions: '12+',
            tag: 1,
            fields: [f('leaderId', 'int32', '12+', { default: -1 }), f('leaderEpoch', 'int32', '12+', { default: -1 })],
          }),
          f('snapshotId', 'SnapshotId', '12+', {
            taggedVersions: '12+',
            tag: 2,
            fields: [f('endOffset', 'int64', '0+', { default: -1 }), f('epoch', 'int32', '0+', { default: -1 })],
          }),
          f('abortedTransactions', '[]AbortedTransaction', '4+', {
            nullableVersions: '4+',
            fields: [f('producerId', 'int64', '4+'), f('firstOffset', 'int64', '4+')],
          }),
          f('preferredReadReplica', 'int32', '11+', { default: -1 }),
          f('records', 'records', '0+', { nullableVersions: '0+' }),
        ],
      }),
    ],
  }),
  f('nodeEndpoints', '[]NodeEndpoint', '16+', {
    taggedVersions: '16+',
    tag: 0,
    fields: [
      f('nodeId', 'int32', '16+'),
      f('host', 'string', '16+'),
      f('port', 'int32', '16+'),
      f('rack', 'string', '16+', { nullableVersions: '16+', default: null }),
    ],
  }),
])

export const fetchApi = api(FetchRequest, FetchResponse)
export type FetchRequest = Decoded<typeof FetchRequest>
export type FetchResponse = Decoded<typeof FetchResponse>
export type FetchResponseInput = Input<typeof FetchResponse>
