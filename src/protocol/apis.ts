/**
 * The registry of what this codec can decode: one ApiSchema per API key.
 * (The broker advertises in ApiVersions what its handlers serve, which may be narrower.)
 */
import type { ApiSchema } from './schema.js'
import { produceApi } from './messages/00-produce.js'
import { fetchApi } from './messages/01-fetch.js'
import { listOffsetsApi } from './messages/02-list-offsets.js'
import { metadataApi } from './messages/03-metadata.js'
import { offsetCommitApi } from './messages/08-offset-commit.js'
import { offsetFetchApi } from './messages/09-offset-fetch.js'
import { findCoordinatorApi } from './messages/10-find-coordinator.js'
import { joinGroupApi } from './messages/11-join-group.js'
import { heartbeatApi } from './messages/12-heartbeat.js'
import { leaveGroupApi } from './messages/13-leave-group.js'
import { syncGroupApi } from './messages/14-sync-group.js'
import { describeGroupsApi } from './messages/15-describe-groups.js'
import { listGroupsApi } from './messages/16-list-groups.js'
import { apiVersionsApi } from './messages/18-api-versions.js'
import { createTopicsApi } from './messages/19-create-topics.js'
import { deleteTopicsApi } from './messages/20-delete-topics.js'
import { deleteRecordsApi } from './messages/21-delete-records.js'
import { initProducerIdApi } from './messages/22-init-producer-id.js'
import { offsetForLeaderEpochApi } from './messages/23-offset-for-leader-epoch.js'
import { addPartitionsToTxnApi } from './messages/24-add-partitions-to-txn.js'
import { addOffsetsToTxnApi } from './messages/25-add-offsets-to-txn.js'
import { endTxnApi } from './messages/26-end-txn.js'
import { writeTxnMarkersApi } from './messages/27-write-txn-markers.js'
import { txnOffsetCommitApi } from './messages/28-txn-offset-commit.js'
import { describeConfigsApi } from './messages/32-describe-configs.js'
import { alterConfigsApi } from './messages/33-alter-configs.js'
import { describeLogDirsApi } from './messages/35-describe-log-dirs.js'
import { createPartitionsApi } from './messages/37-create-partitions.js'
import { deleteGroupsApi } from './messages/42-delete-groups.js'
import { incrementalAlterConfigsApi } from './messages/44-incremental-alter-configs.js'
import { alterPartitionReassignmentsApi } from './messages/45-alter-partition-reassignments.js'
import { listPartitionReassignmentsApi } from './messages/46-list-partition-reassignments.js'
import { offsetDeleteApi } from './messages/47-offset-delete.js'
import { voteApi } from './messages/52-vote.js'
import { beginQuorumEpochApi } from './messages/53-begin-quorum-epoch.js'
import { endQuorumEpochApi } from './messages/54-end-quorum-epoch.js'
import { describeQuorumApi } from './messages/55-describe-quorum.js'
import { fetchSnapshotApi } from './messages/59-fetch-snapshot.js'
import { describeClusterApi } from './messages/60-describe-cluster.js'
import { describeProducersApi } from './messages/61-describe-producers.js'
import { describeTransactionsApi } from './messages/65-describe-transactions.js'
import { listTransactionsApi } from './messages/66-list-transactions.js'

const ALL: readonly ApiSchema[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  offsetForLeaderEpochApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  writeTxnMarkersApi,
  txnOffsetCommitApi,
  describeConfigsApi,
  alterConfigsApi,
  describeLogDirsApi,
  createPartitionsApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
  alterPartitionReassignmentsApi,
  listPartitionReassignmentsApi,
  offsetDeleteApi,
  voteApi,
  beginQuorumEpochApi,
  endQuorumEpochApi,
  describeQuorumApi,
  fetchSnapshotApi,
  describeClusterApi,
  describeProducersApi,
  describeTransactionsApi,
  listTransactionsApi,
]

export const API_SCHEMAS: ReadonlyMap<number, ApiSchema> = new Map(ALL.map((a) => [a.apiKey, a]))

const byName = new Map(ALL.map((a) => [a.name, a]))

export function apiByName(name: string): ApiSchema | undefined {
  return byName.get(name)
}

export function apiByKey(apiKey: number): ApiSchema | undefined {
  return API_SCHEMAS.get(apiKey)
}

/** Whether (apiKey, version) uses flexible encoding; false for unknown keys. */
export function isFlexible(apiKey: number, version: number): boolean {
  const a = API_SCHEMAS.get(apiKey)
  return a !== undefined && a.firstFlexibleVersion !== null && version >= a.firstFlexibleVersion
}

/** Whether the codec can decode (apiKey, version). */
export function isSupported(apiKey: number, version: number): boolean {
  const a = API_SCHEMAS.get(apiKey)
  return a !== undefined && version >= a.minVersion && version <= a.maxVersion
}
