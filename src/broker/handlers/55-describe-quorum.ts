/**
 * DescribeQuorum (key 55), versions 0-2, as a Kafka 3.9 broker serves it (it forwards the request
 * to the active controller, which answers from its Raft leader state): the quorum's leader, its
 * epoch and high watermark, and each voter's log end offset as the leader last saw it. v1: each
 * replica's last fetch and last caught-up times (-1 when unknown; the leader's own are now). v2:
 * replica directory ids (sluice's voters have none: the zero UUID, as Kafka answers without one)
 * and the voters' endpoints (`nodes`): in combined mode a voter is a broker, and its endpoint is
 * that broker's listener; a voter that is not a registered broker has none.
 *
 * The quorum comes from the ClusterView (`quorum()`); a cluster whose metadata log is one store
 * answers its one controller as the only voter (`singleVoterQuorum`).
 * Errors as KafkaRaftClient answers them: a request that does not name exactly
 * `__cluster_metadata` partition 0 gets UNKNOWN_TOPIC_OR_PARTITION on each partition it names; no
 * leader (an election, or no majority up) gets NOT_LEADER_OR_FOLLOWER on that partition.
 * Observers are the brokers that follow the log without voting (ClusterNode's observers: their
 * log end is where their own image stands).
 */
import { ErrorCode } from '../../protocol/errors.js'
import {
  describeQuorumApi,
  METADATA_PARTITION,
  METADATA_TOPIC,
  type DescribeQuorumRequest,
  type DescribeQuorumResponseInput,
} from '../../protocol/messages/55-describe-quorum.js'
import { ZERO_UUID } from '../../protocol/primitives.js'
import { singleVoterQuorum, type QuorumView, type QuorumVoterView } from '../../cluster/raft/quorum-view.js'
import { defineHandler, type RequestContext } from '../handler.js'

/** Kafka's messages for the two errors (Errors.message()), which v2 answers carry. */
const UNKNOWN_PARTITION_MESSAGE = 'This server does not host this topic-partition.'
const NOT_LEADER_MESSAGE =
  'For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.'
/** The listener name a voter's endpoint carries: sluice's brokers have one plaintext listener. */
const LISTENER_NAME = 'PLAINTEXT'

type Partition = DescribeQuorumResponseInput['topics'][number]['partitions'][number]

/** The one partition a DescribeQuorum may ask about (RaftUtil.hasValidTopicPartition). */
function namesMetadataPartition(req: DescribeQuorumRequest): boolean {
  const [topic] = req.topics
  return req.topics.length === 1 && topic!.topicName === METADATA_TOPIC && topic!.partitions.length === 1 && topic!.partitions[0]!.partitionIndex === METADATA_PARTITION
}

const failed = (partitionIndex: number, errorCode: number, errorMessage: string): Partition => ({
  partitionIndex,
  errorCode,
  errorMessage,
  leaderId: 0,
  leaderEpoch: 0,
  highWatermark: 0,
  currentVoters: [],
  observers: [],
})

function replicaState(r: QuorumVoterView, leaderId: number, nowMs: number) {
  const leader = r.id === leaderId
  return {
    replicaId: r.id,
    replicaDirectoryId: ZERO_UUID,
    logEndOffset: r.logEndOffset,
    lastFetchTimestamp: leader ? nowMs : (r.lastFetchMs ?? -1),
    lastCaughtUpTimestamp: leader ? nowMs : (r.lastCaughtUpMs ?? -1),
  }
}

function handle(ctx: RequestContext, req: DescribeQuorumRequest): DescribeQuorumResponseInput {
  const { cluster, scheduler } = ctx.broker
  const answer = (topics: DescribeQuorumResponseInput['topics'], nodes: DescribeQuorumResponseInput['nodes'] = []): DescribeQuorumResponseInput => ({
    // Kafka leaves the error messages of an answer without error at their default, "".
    errorCode: ErrorCode.NONE,
    topics,
    nodes,
  })
  if (!namesMetadataPartition(req)) {
    return answer(req.topics.map((t) => ({ topicName: t.topicName, partitions: t.partitions.map((p) => failed(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_PARTITION_MESSAGE)) })))
  }
  const nowMs = scheduler.nowMs()
  const view: QuorumView = cluster.quorum?.() ?? singleVoterQuorum(cluster.controllerId, cluster.image.offset + 1, nowMs)
  const leaderId = view.leaderId
  if (leaderId === null) {
    return answer([{ topicName: METADATA_TOPIC, partitions: [failed(METADATA_PARTITION, ErrorCode.NOT_LEADER_OR_FOLLOWER, NOT_LEADER_MESSAGE)] }])
  }
  const partition: Partition = {
    partitionIndex: METADATA_PARTITION,
    errorCode: ErrorCode.NONE,
    leaderId,
    leaderEpoch: view.epoch,
    highWatermark: view.highWatermark,
    currentVoters: view.voters.map((v) => replicaState(v, leaderId, nowMs)),
    observers: (view.observers ?? []).map((o) => replicaState(o, leaderId, nowMs)),
  }
  const nodes = view.voters.map((v) => {
    const broker = cluster.image.brokers.get(v.id)
    return { nodeId: v.id, listeners: broker ? [{ name: LISTENER_NAME, host: broker.host, port: broker.port }] : [] }
  })
  return answer([{ topicName: METADATA_TOPIC, partitions: [partition] }], nodes)
}

defineHandler(describeQuorumApi, { versions: '0-2', handle })
