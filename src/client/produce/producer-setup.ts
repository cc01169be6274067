/**
 * What `produce` asks of the cluster besides sends: the timeouts, the topic's partition
 * count and max.message.bytes, and the meaning of a failed send for the person running it.
 * Everything here works the same against the local daemon and any Kafka cluster.
 */
import { ExitCode, SluiceError } from '../../common/errors.js'
import { kafkaApiCode, toClusterError, type ClusterTarget } from '../kafka.js'
import type { BrokerAddress } from '../wire/connection.js'
import type { ProduceConnection } from './produce-api.js'
import { ErrorCode } from '../../protocol/errors.js'

/**
 * What the sender asks of a client: sluice's WireClient (wire/client.ts), for `produce` and
 * `replay --into` alike, which so never load a client library.
 */
export interface ProduceClient {
  metadata(options: { topics: string[]; forceUpdate?: boolean; autocreateTopics?: boolean }): Promise<{
    brokers: Map<number, BrokerAddress>
    topics: Map<string, { partitionsCount: number; partitions: { leader: number }[] }>
  }>
  connections: { get(broker: BrokerAddress): Promise<ProduceConnection> }
  initIdempotentProducer(options: object): Promise<{ producerId: bigint; producerEpoch: number }>
  topicConfig(topic: string, name: string): Promise<string | null>
}

/** Kafka's default max.message.bytes, used when the topic's own cannot be read. */
const MAX_MESSAGE_BYTES_DEFAULT = 1_048_588
/** Kafka's request.timeout.ms: an acks=all send may wait on replication. */
export const REQUEST_TIMEOUT_MS = 30_000

/** Kafka's delivery.timeout.ms is 120 s; half of it rides out any failover a person waits for. */
export const DELIVERY_TIMEOUT_MS = 60_000
/** Kafka's retry.backoff.ms. */
export const RETRY_BACKOFF_MS = 100

/**
 * Kafka's retriable produce errors (those the Java producer retries until delivery.timeout.ms),
 * and the network failures of a broker that went away.
 */
const RETRIABLE_PRODUCE_CODES = new Set<number>([
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
])

/** True when every error in the tree is one a later attempt may get past. */
export function isRetriableSend(err: unknown, depth = 0): boolean {
  if (depth > 8 || typeof err !== 'object' || err === null) return false
  const e = err as { code?: unknown; apiCode?: unknown; errors?: unknown[]; cause?: unknown }
  if (typeof e.apiCode === 'number' && e.apiCode !== ErrorCode.NONE) return RETRIABLE_PRODUCE_CODES.has(e.apiCode)
  if (e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT' || e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ETIMEDOUT') return true
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every((inner) => isRetriableSend(inner, depth + 1))
  return e.cause !== undefined && isRetriableSend(e.cause, depth + 1)
}

export interface TopicInfo {
  numPartitions: number
  maxMessageBytes: number
}

/** The topic's partition count (creating it where the cluster auto-creates) and max.message.bytes. */
export async function describeTopic(producer: ProduceClient, target: ClusterTarget, topic: string): Promise<TopicInfo> {
  let numPartitions: number
  try {
    const metadata = await producer.metadata({ topics: [topic], autocreateTopics: true })
    numPartitions = metadata.topics.get(topic)?.partitionsCount ?? 0
  } catch (err) {
    if (isUnknownTopic(err)) throw missingTopic(topic, err)
    if (kafkaApiCode(err) === ErrorCode.INVALID_TOPIC_EXCEPTION) {
      throw new SluiceError('USAGE', `invalid topic name "${topic}": a topic name is 1-249 letters, digits, ".", "_" or "-"`, { cause: err })
    }
    throw toClusterError(err, target, `looking up topic ${topic}`)
  }
  if (numPartitions === 0) throw missingTopic(topic, undefined)

  // A cluster that will not describe configs (no permission, an older Kafka) keeps the default.
  let maxMessageBytes = MAX_MESSAGE_BYTES_DEFAULT
  try {
    const value = await producer.topicConfig(topic, 'max.message.bytes')
    if (typeof value === 'string' && /^\d+$/.test(value)) maxMessageBytes = Number(value)
  } catch {
    // keep the default
  }
  return { numPartitions, maxMessageBytes }
}

/**
 * UNKNOWN_TOPIC_OR_PARTITION from a metadata request. @platformatic/kafka 1.35 replaces that
 * Kafka error with a UserError "Unknown topic NAME." that keeps no code, hence the message test.
 */
function isUnknownTopic(err: unknown): boolean {
  if (kafkaApiCode(err) === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return true
  return err instanceof Error && /^Unknown topic /.test(err.message)
}

function missingTopic(topic: string, cause: unknown): SluiceError {
  return new SluiceError(
    'NOT_FOUND',
    `topic ${topic} does not exist, and the cluster does not create topics on first use (auto.create.topics.enable=false): create it first (sluice topic create ${topic})`,
    { cause },
  )
}

/** A failed send, with which lines were acknowledged: every one before `firstLineNo`. */
export function sendFailed(error: unknown, target: ClusterTarget, topic: string, firstLineNo: number, lastLineNo: number, ackedText: string): SluiceError {
  const where = `every record before line ${firstLineNo} was acknowledged; lines ${firstLineNo}-${lastLineNo} were not, and later ones may not have been (${ackedText})`
  const code = kafkaApiCode(error)
  if (code === ErrorCode.MESSAGE_TOO_LARGE || code === ErrorCode.RECORD_LIST_TOO_LARGE) {
    return new SluiceError('RECORD_TOO_LARGE', `the cluster refused the records of lines ${firstLineNo}-${lastLineNo} as too large for topic ${topic} (max.message.bytes); ${where}`, {
      exit: ExitCode.BAD_INPUT,
      cause: error,
    })
  }
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
    return new SluiceError('NOT_FOUND', `topic ${topic} (or one of its partitions) disappeared while producing; ${where}`, { cause: error })
  }
  const base = toClusterError(error, target, `producing to ${topic}`)
  return new SluiceError(base.code, `${base.message}; ${where}`, { exit: base.exit, cause: error, retriable: base.retriable })
}
