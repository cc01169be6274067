/**
 * FetchSnapshot (key 59), versions 0-1; always flexible. KIP-630: a follower whose fetch offset
 * is below the leader's log start (the leader answered its Fetch with a `snapshotId`) copies that
 * snapshot in chunks, from byte `position`, then fetches the log from the snapshot's end offset.
 * `unalignedRecords` is a chunk of the snapshot's bytes, cut anywhere (not on a batch boundary).
 * v1 (KIP-853) adds the follower's directory id and the leader's endpoints (both tagged).
 * Not served yet: a codec schema only, for the controller quorum (no handler, not advertised).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const FetchSnapshotRequest = message('FetchSnapshotRequest', ApiKey.FetchSnapshot, '0-1', '0+', [
  f('clusterId', 'string', '0+', { nullableVersions: '0+', taggedVersions: '0+', tag: 0, default: null }),
  f('replicaId', 'int32', '0+', { default: -1 }),
  f('maxBytes', 'int32', '0+', { default: 0x7fffffff }),
  f('topics', '[]TopicSnapshot', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]PartitionSnapshot', '0+', {
        fields: [
          f('partition', 'int32', '0+'),
          f('currentLeaderEpoch', 'int32', '0+'),
          f('snapshotId', 'SnapshotId', '0+', { fields: [f('endOffset', 'int64', '0+'), f('epoch', 'int32', '0+')] }),
          f('position', 'int64', '0+'),
          f('replicaDirectoryId', 'uuid', '1+', { taggedVersions: '1+', tag: 0 }),
        ],
      }),
    ],
  }),
])

export const FetchSnapshotResponse = message('FetchSnapshotResponse', ApiKey.FetchSnapshot, '0-1', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('topics', '[]TopicSnapshot', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]PartitionSnapshot', '0+', {
        fields: [
          f('index', 'int32', '0+'),
          f('errorCode', 'int16', '0+'),
          f('snapshotId', 'SnapshotId', '0+', { fields: [f('endOffset', 'int64', '0+'), f('epoch', 'int32', '0+')] }),
          f('currentLeader', 'LeaderIdAndEpoch', '0+', {
            taggedVersions: '0+',
            tag: 0,
            fields: [f('leaderId', 'int32', '0+'), f('leaderEpoch', 'int32', '0+')],
          }),
          f('size', 'int64', '0+'),
          f('position', 'int64', '0+'),
          f('unalignedRecords', 'records', '0+'),
        ],
      }),
    ],
  }),
  f('nodeEndpoints', '[]NodeEndpoint', '1+', {
    taggedVersions: '1+',
    tag: 0,
    fields: [f('nodeId', 'int32', '1+'), f('host', 'string', '1+'), f('port', 'uint16', '1+')],
  }),
])

export const fetchSnapshotApi = api(FetchSnapshotRequest, FetchSnapshotResponse)
export type FetchSnapshotRequest = Decoded<typeof FetchSnapshotRequest>
export type FetchSnapshotResponse = Decoded<typeof FetchSnapshotResponse>
export type FetchSnapshotResponseInput = Input<typeof FetchSnapshotResponse>
