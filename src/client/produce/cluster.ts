/**
 * What `produce` asks of the cluster besides sends: the producer's options, the topic's partition
 * count and max.message.bytes, and the meaning of a failed send for the person running it.
 * Everything here works the same against the local daemon and any Kafka cluster.
 */
import { Admin, ConfigResourceTypes, type Producer } from '@platformatic/kafka'
import { ExitCode, SluiceError } from '../../cli/errors.js'
import { clientOptions, kafkaApiCode, toClusterError, type ClusterTarget } from '../kafka.js'

export type BufferProducer = Producer<Buffer, Buffer, Buffer, Buffer>

/** Kafka's default max.message.bytes, used when the topic's own cannot be read. */
const MAX_MESSAGE_BYTES_DEFAULT = 1_048_588
/** Kafka's request.timeout.ms: an acks=all send may wait on replication. */
const REQUEST_TIMEOUT_MS = 30_000
const KAFKA_UNKNOWN_TOPIC_OR_PARTITION = 3
const KAFKA_MESSAGE_TOO_LARGE = 10
const KAFKA_INVALID_TOPIC_EXCEPTION = 17
const KAFKA_RECORD_LIST_TOO_LARGE = 18

export function producerOptions(target: ClusterTarget): ConstructorParameters<typeof Producer<Buffer, Buffer, Buffer, Buffer>>[0] {
  return {
    ...clientOptions(target, 'sluice-produce'),
    timeout: REQUEST_TIMEOUT_MS,
    // As the Java producer: a topic is created on first use where the cluster allows it.
    autocreateTopics: true,
    // Issue 4 (replication, failover): `idempotent: true` goes here, so that a retried send is
    // never stored twice (it also sets acks=all and one request in flight per connection).
  }
}

export interface TopicInfo {
  numPartitions: number
  maxMessageBytes: number
}

/** The topic's partition count (creating it where the cluster auto-creates) and max.message.bytes. */
export async function describeTopic(producer: BufferProducer, target: ClusterTarget, topic: string): Promise<TopicInfo> {
  let numPartitions: number
  try {
    const metadata = await producer.metadata({ topics: [topic], autocreateTopics: true })
    numPartitions = metadata.topics.get(topic)?.partitionsCount ?? 0
  } catch (err) {
    if (isUnknownTopic(err)) throw missingTopic(topic, err)
    if (kafkaApiCode(err) === KAFKA_INVALID_TOPIC_EXCEPTION) {
      throw new SluiceError('USAGE', `invalid topic name "${topic}": a topic name is 1-249 letters, digits, ".", "_" or "-"`, { cause: err })
    }
    throw toClusterError(err, target, `looking up topic ${topic}`)
  }
  if (numPartitions === 0) throw missingTopic(topic, undefined)

  // A cluster that will not describe configs (no permission, an older Kafka) keeps the default.
  let maxMessageBytes = MAX_MESSAGE_BYTES_DEFAULT
  const admin = new Admin(clientOptions(target, 'sluice-produce'))
  try {
    const [described] = await admin.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['max.message.bytes'] }],
    })
    const value = described?.configs.find((c) => c.name === 'max.message.bytes')?.value
    if (typeof value === 'string' && /^\d+$/.test(value)) maxMessageBytes = Number(value)
  } catch {
    // keep the default
  } finally {
    await admin.close().catch(() => undefined)
  }
  return { numPartitions, maxMessageBytes }
}

/**
 * UNKNOWN_TOPIC_OR_PARTITION from a metadata request. @platformatic/kafka 1.35 replaces that
 * Kafka error with a UserError "Unknown topic NAME." that keeps no code, hence the message test.
 */
function isUnknownTopic(err: unknown): boolean {
  if (kafkaApiCode(err) === KAFKA_UNKNOWN_TOPIC_OR_PARTITION) return true
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
  if (code === KAFKA_MESSAGE_TOO_LARGE || code === KAFKA_RECORD_LIST_TOO_LARGE) {
    return new SluiceError('RECORD_TOO_LARGE', `the cluster refused the records of lines ${firstLineNo}-${lastLineNo} as too large for topic ${topic} (max.message.bytes); ${where}`, {
      exit: ExitCode.BAD_INPUT,
      cause: error,
    })
  }
  if (code === KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
    return new SluiceError('NOT_FOUND', `topic ${topic} (or one of its partitions) disappeared while producing; ${where}`, { cause: error })
  }
  const base = toClusterError(error, target, `producing to ${topic}`)
  return new SluiceError(base.code, `${base.message}; ${where}`, { exit: base.exit, cause: error, retriable: base.retriable })
}
