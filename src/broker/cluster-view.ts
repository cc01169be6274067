/**
 * What a broker needs from the rest of the cluster: the metadata image it answers from, and the
 * controller, to which it forwards admin requests and its own ISR changes and heartbeats (as a
 * KRaft broker does).
 */
import type { ConfigChange } from '../cluster/configs.js'
import type { CommandResult, CreatePartitionsRequest, CreateTopicRequest, CreatedTopic } from '../cluster/controller.js'
import type { MetadataImage } from '../cluster/metadata.js'
import type { QuorumView } from '../cluster/raft/quorum-view.js'
import type { OngoingReassignment, ReassignmentFilter, ReassignmentRequest, ReassignmentResult } from '../cluster/reassignment.js'

export interface ClusterView {
  readonly clusterId: string
  readonly controllerId: number
  readonly image: MetadataImage
  /**
   * Answers once the records are committed and the replicas have taken their roles, or after
   * settleTimeoutMs (CreateTopics' timeoutMs) when opening thousands of logs takes longer: the
   * topic exists then, and its last partitions become ready moments later.
   */
  createTopic(req: CreateTopicRequest, validateOnly: boolean, settleTimeoutMs?: number): Promise<CommandResult<CreatedTopic>>
  /** Grows a topic (CreatePartitions); answers as createTopic does, once the new replicas have their roles. */
  createPartitions(req: CreatePartitionsRequest, validateOnly: boolean, settleTimeoutMs?: number): Promise<CommandResult<{ topicId: string; added: number }>>
  deleteTopic(by: { name?: string | null; topicId?: string | null }): Promise<CommandResult<{ name: string; topicId: string }>>
  alterConfigs(
    resourceType: 'topic' | 'broker',
    resourceName: string,
    changes: ConfigChange[],
    replace: boolean,
    validateOnly: boolean,
  ): Promise<CommandResult>
  /** A leader's ISR change (Kafka's AlterPartition). */
  alterIsr(req: { brokerId: number; topicId: string; partition: number; leaderEpoch: number; partitionEpoch: number; isr: number[] }): Promise<CommandResult>
  /** This broker's replica of a partition is corrupt: out of the ISR, and leadership elsewhere. */
  replicaCorrupt(req: { brokerId: number; topicId: string; partition: number; reason: string }): Promise<CommandResult>
  /** A new producer id for InitProducerId (from the broker's block: broker/producer-id-blocks.ts). */
  allocateProducerId(): Promise<CommandResult<number>>
  /** Starts, replaces or cancels partition moves (AlterPartitionReassignments); answers once committed. */
  alterPartitionReassignments(reqs: ReassignmentRequest[]): Promise<CommandResult<ReassignmentResult[]>>
  /** The moves in progress (ListPartitionReassignments), from the committed image. */
  listPartitionReassignments(filter: ReassignmentFilter): OngoingReassignment[]
  /**
   * The controller quorum as its leader sees it (DescribeQuorum): fed by a metadata log on the
   * Raft quorum. Absent while the metadata log is one store: DescribeQuorum then answers its one
   * controller as the only voter (`singleVoterQuorum`).
   */
  quorum?(): QuorumView
}

