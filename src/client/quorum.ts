/**
 * The controller quorum as `kafka-metadata-quorum.sh describe` shows it, for `sluice cluster
 * quorum` and the ui's quorum pane: DescribeQuorum (API 55) for `__cluster_metadata` partition 0
 * to any broker (a Kafka broker forwards it to the active controller; a sluice broker answers from
 * its own view of the quorum), and DescribeCluster for the cluster id. On sluice's own wire
 * client, so it works against the local daemon and any KRaft cluster (Kafka 3.3 or later) alike.
 *
 * What is derived here is derived as Kafka's tool derives it (MetadataQuorumCommand): a replica's
 * lag is the leader's log end offset minus its own; MaxFollowerLag is the largest lag among the
 * voters; MaxFollowerLagTimeMs is how far the last caught-up time of that most lagging voter is
 * behind the leader's (0 when the leader is that voter; -1 when either time is unknown).
 */
import { SluiceError } from '../common/errors.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import { describeClusterApi } from '../protocol/messages/60-describe-cluster.js'
import { describeQuorumApi, METADATA_PARTITION, METADATA_TOPIC, type DescribeQuorumResponse } from '../protocol/messages/55-describe-quorum.js'
import { toClusterError, type ClusterTarget } from './kafka.js'
import { KafkaAnswerError, WireClient } from './wire/client.js'
import { WireError } from './wire/connection.js'

export type QuorumReplicaStatus = 'Leader' | 'Follower' | 'Observer'

/** One replica of the metadata log, as the leader last saw it (a row of `--replication`). */
export interface QuorumReplica {
  nodeId: number
  logEndOffset: number
  /** The leader's log end offset minus this replica's. */
  lag: number
  /** ms since the epoch (the leader's clock); -1 when unknown (DescribeQuorum v0, or it has not fetched in this epoch). */
  lastFetchTimestamp: number
  /** When it last had all the leader had; -1 when unknown. */
  lastCaughtUpTimestamp: number
  status: QuorumReplicaStatus
}

/** A voter or observer as `--status` lists it: its id and its endpoints (`NAME://host:port`). */
export interface QuorumNode {
  id: number
  endpoints: string[]
}

export interface QuorumDescription {
  clusterId: string
  leaderId: number
  leaderEpoch: number
  highWatermark: number
  maxFollowerLag: number
  maxFollowerLagTimeMs: number
  currentVoters: QuorumNode[]
  currentObservers: QuorumNode[]
  /** The leader first, then the other voters, then the observers (Kafka's row order). */
  replicas: QuorumReplica[]
}

type AnsweredPartition = DescribeQuorumResponse['topics'][number]['partitions'][number]
type AnsweredReplica = AnsweredPartition['currentVoters'][number]

const REQUEST_TIMEOUT_MS = 10_000
const WHAT = 'describing the metadata quorum'

/** The leader's partition of a DescribeQuorum answer, or the error it carries as a KafkaAnswerError. */
export function quorumPartition(answer: DescribeQuorumResponse): AnsweredPartition {
  if (answer.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(answer.errorCode, `${WHAT}: ${answer.errorMessage || errorName(answer.errorCode)}`)
  const partition = answer.topics.find((t) => t.topicName === METADATA_TOPIC)?.partitions.find((p) => p.partitionIndex === METADATA_PARTITION)
  if (partition === undefined) throw new KafkaAnswerError(ErrorCode.UNKNOWN_SERVER_ERROR, `${WHAT}: the answer has no ${METADATA_TOPIC}-${METADATA_PARTITION}`)
  if (partition.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
    throw new KafkaAnswerError(partition.errorCode, `${WHAT}: the quorum has no leader (an election is running, or no majority of the controllers is up: metadata changes wait) (NOT_LEADER_OR_FOLLOWER)`)
  }
  if (partition.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(partition.errorCode, `${WHAT}: ${errorName(partition.errorCode)}`)
  return partition
}

/** Kafka's description of the quorum from a DescribeQuorum answer's partition and nodes, and the cluster id. */
export function describeAnswer(partition: AnsweredPartition, nodes: DescribeQuorumResponse['nodes'], clusterId: string): QuorumDescription {
  const voters = partition.currentVoters
  const leader = voters.find((v) => v.replicaId === partition.leaderId)
  // Kafka's tool reads the leader among the voters; an answer without it has no log end to measure lags from.
  if (leader === undefined) throw new SluiceError('KAFKA_ERROR', `${WHAT}: the leader ${partition.leaderId} is not among the voters ${voters.map((v) => v.replicaId).join(', ')}`)
  const row = (r: AnsweredReplica, status: QuorumReplicaStatus): QuorumReplica => ({
    nodeId: r.replicaId,
    logEndOffset: r.logEndOffset,
    lag: leader.logEndOffset - r.logEndOffset,
    lastFetchTimestamp: r.lastFetchTimestamp,
    lastCaughtUpTimestamp: r.lastCaughtUpTimestamp,
    status,
  })
  const mostLagging = voters.reduce((min, v) => (v.logEndOffset < min.logEndOffset ? v : min))
  const maxFollowerLagTimeMs =
    mostLagging === leader ? 0 : leader.lastCaughtUpTimestamp >= 0 && mostLagging.lastCaughtUpTimestamp >= 0 ? leader.lastCaughtUpTimestamp - mostLagging.lastCaughtUpTimestamp : -1
  const endpoints = new Map(nodes.map((n) => [n.nodeId, n.listeners.map((l) => `${l.name}://${l.host}:${l.port}`)]))
  const node = (r: AnsweredReplica): QuorumNode => ({ id: r.replicaId, endpoints: endpoints.get(r.replicaId) ?? [] })
  return {
    clusterId,
    leaderId: partition.leaderId,
    leaderEpoch: partition.leaderEpoch,
    highWatermark: partition.highWatermark,
    maxFollowerLag: leader.logEndOffset - mostLagging.logEndOffset,
    maxFollowerLagTimeMs,
    currentVoters: voters.map(node),
    currentObservers: partition.observers.map(node),
    replicas: [row(leader, 'Leader'), ...voters.filter((v) => v !== leader).map((v) => row(v, 'Follower')), ...partition.observers.map((o) => row(o, 'Observer'))],
  }
}

/**
 * The quorum, asked of the cluster's brokers. An answer without a leader is retried (briefly: an
 * election takes an election timeout), then fails with QUORUM_NO_MAJORITY. `withClusterId: false`
 * skips the DescribeCluster round trip (the clusterId is then ''): the dashboard polls without it.
 */
export async function describeQuorum(target: ClusterTarget, opts: { withClusterId?: boolean } = {}): Promise<QuorumDescription> {
  const client = new WireClient(target, 'sluice-quorum')
  try {
    const [partition, nodes] = await client.request(
      null,
      describeQuorumApi,
      { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION }] }] },
      {
        timeoutMs: REQUEST_TIMEOUT_MS,
        // A retriable error thrown here is retried by the client (another broker, 200 ms later).
        check: (answer) => [quorumPartition(answer), answer.nodes] as const,
      },
    )
    if (opts.withClusterId === false) return describeAnswer(partition, nodes, '')
    const cluster = await client.request(null, describeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1 }, { timeoutMs: REQUEST_TIMEOUT_MS })
    return describeAnswer(partition, nodes, cluster.clusterId)
  } catch (err) {
    if (err instanceof WireError && err.code === 'UNSUPPORTED_VERSION') {
      throw new SluiceError('KAFKA_ERROR', `${WHAT}: ${err.message} (a KRaft cluster of Kafka 3.3 or later serves DescribeQuorum; ZooKeeper clusters do not)`, { cause: err })
    }
    if (err instanceof KafkaAnswerError && err.apiCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) throw new SluiceError('QUORUM_NO_MAJORITY', err.message, { cause: err, retriable: true })
    throw toClusterError(err, target, WHAT)
  } finally {
    client.close()
  }
}
