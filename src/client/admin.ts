/**
 * Topic administration for `sluice topic ...`, on sluice's own wire client (wire/client.ts: the
 * codec of src/protocol, no client library to load), so the same calls work against the local
 * daemon and any Kafka cluster: Metadata, DescribeConfigs, CreateTopics, DeleteTopics,
 * IncrementalAlterConfigs and CreatePartitions (these four at the controller), ListOffsets and
 * DescribeLogDirs (at each partition's leader, for offsets and sizes).
 *
 * Results are plain JSON-ready objects (offsets and sizes as numbers); every failure is a
 * SluiceError whose message carries the broker's own error message and Kafka's error name. Lost
 * connections and retriable Kafka errors are retried as @platformatic/kafka's clients retry them
 * (clientOptions: 5 more attempts, 200 ms apart).
 */
import { ErrorCode, errorName } from '../protocol/errors.js'
import { listOffsetsApi } from '../protocol/messages/02-list-offsets.js'
import { metadataApi, type MetadataResponse } from '../protocol/messages/03-metadata.js'
import { createTopicsApi } from '../protocol/messages/19-create-topics.js'
import { deleteTopicsApi } from '../protocol/messages/20-delete-topics.js'
import { ConfigResourceType, ConfigSource, describeConfigsApi } from '../protocol/messages/32-describe-configs.js'
import { describeLogDirsApi } from '../protocol/messages/35-describe-log-dirs.js'
import { createPartitionsApi } from '../protocol/messages/37-create-partitions.js'
import { AlterConfigOp, incrementalAlterConfigsApi } from '../protocol/messages/44-incremental-alter-configs.js'
import { ZERO_UUID } from '../protocol/primitives.js'
import { SluiceError, usageError } from '../common/errors.js'
import { kafkaApiCode, toClusterError, type ClusterTarget } from './kafka.js'
import {
  dashedTopicId,
  validateTopicName,
  type AlterTopicResult,
  type CreateTopicOptions,
  type CreateTopicResult,
  type DeleteTopicResult,
  type TopicDescription,
} from './topic-model.js'
import { KafkaAnswerError, WireClient } from './wire/client.js'
import type { BrokerAddress } from './wire/connection.js'

export * from './topic-model.js'

type MetadataTopic = MetadataResponse['topics'][number]
type Partition = MetadataTopic['partitions'][number]

const REQUEST_TIMEOUT_MS = 10_000
/**
 * CreateTopics of thousands of partitions is legitimately slow (the daemon answers within the
 * request's timeoutMs once the topic is committed, and committing 10,000 partitions takes
 * seconds on a busy machine): waiting less would report a created topic as an unreachable cluster.
 */
export const CREATE_REQUEST_TIMEOUT_MS = 30_000
/** How long the controller may take to apply a topic change before it answers (the `timeoutMs` of the request): @platformatic/kafka's default. */
const CONTROLLER_TIMEOUT_MS = 5_000
/** The newest versions this reads: Metadata that names topics, ListOffsets with one offset per partition. */
const METADATA_VERSION_MAX = 12
const LIST_OFFSETS_VERSION_MAX = 7
const EARLIEST = -2
const LATEST = -1

/** A Kafka error in an answer, worded as the broker put it, with Kafka's name. */
export function answerError(code: number, serverMessage: string | null | undefined): KafkaAnswerError {
  const name = errorName(code)
  return new KafkaAnswerError(code, serverMessage ? `${serverMessage} (${name})` : name)
}

/** Configs whose source is not Kafka's own default, as `kafka-topics --describe` shows them. */
function overrides(configs: readonly { name: string; value: string | null; configSource: number }[]): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  for (const c of [...configs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (c.configSource !== ConfigSource.DEFAULT_CONFIG) out[c.name] = c.value
  }
  return out
}

function replicationFactorOf(t: MetadataTopic): number {
  return t.partitions.reduce((max, p) => Math.max(max, p.replicaNodes.length), 0)
}

/** One wire client for the duration of a command. */
export class TopicAdmin {
  private readonly client: WireClient
  private readonly requestTimeoutMs: number

  constructor(
    readonly target: ClusterTarget,
    opts: { requestTimeoutMs?: number } = {},
  ) {
    // A hung broker should cost a person at the terminal seconds, not Kafka's 30 s default.
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
    this.client = new WireClient(target, 'sluice-admin')
  }

  async close(): Promise<void> {
    this.client.close()
  }

  /** A client error as a SluiceError: the right exit code, and the broker's words. */
  private fail(err: unknown, what: string): SluiceError {
    return toClusterError(err, this.target, what)
  }

  /** The topic's metadata; NOT_FOUND (exit 4) when it does not exist. One still being created (LEADER_NOT_AVAILABLE) is asked again. */
  private async requireTopic(topic: string, what: string): Promise<MetadataTopic & { brokers: Map<number, BrokerAddress> }> {
    let answer: MetadataResponse
    try {
      answer = await this.client.request(
        null,
        metadataApi,
        { topics: [{ name: topic }], allowAutoTopicCreation: false },
        {
          timeoutMs: this.requestTimeoutMs,
          max: METADATA_VERSION_MAX,
          check: (a) => {
            const creating = a.topics.find((t) => t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE)
            if (creating !== undefined) throw answerError(creating.errorCode, null)
            return a
          },
        },
      )
    } catch (err) {
      throw this.fail(err, what)
    }
    const t = answer.topics.find((x) => x.name === topic)
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new SluiceError('NOT_FOUND', `${what}: topic "${topic}" does not exist`)
    if (t.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION) throw usageError(`${what}: bad topic name "${topic}" (INVALID_TOPIC_EXCEPTION)`)
    if (t.errorCode !== ErrorCode.NONE) throw new SluiceError('KAFKA_ERROR', `${what}: metadata for topic "${topic}" answered error ${errorName(t.errorCode)}`)
    return { ...t, brokers: new Map(answer.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }])) }
  }

  private async topicConfigs(topic: string, what: string): Promise<Record<string, string | null>> {
    try {
      const result = await this.client.request(
        null,
        describeConfigsApi,
        { resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configurationKeys: null }] },
        {
          timeoutMs: this.requestTimeoutMs,
          check: (a) => {
            const r = a.results.find((x) => x.resourceName === topic)
            if (r !== undefined && r.errorCode !== ErrorCode.NONE) throw answerError(r.errorCode, r.errorMessage)
            return r
          },
        },
      )
      return overrides(result?.configs ?? [])
    } catch (err) {
      throw this.fail(err, what)
    }
  }

  async createTopic(opts: CreateTopicOptions): Promise<CreateTopicResult> {
    const what = `cannot create topic "${opts.topic}"`
    validateTopicName(opts.topic)
    try {
      const created = await this.client.request(
        'controller',
        createTopicsApi,
        {
          topics: [
            {
              name: opts.topic,
              // -1: the cluster's default (num.partitions, default.replication.factor).
              numPartitions: opts.partitions ?? -1,
              replicationFactor: opts.replicationFactor ?? -1,
              assignments: [],
              configs: [...opts.configs].map(([name, value]) => ({ name, value })),
            },
          ],
          timeoutMs: CONTROLLER_TIMEOUT_MS,
          validateOnly: false,
        },
        {
          timeoutMs: this.requestTimeoutMs,
          check: (a) => {
            const r = a.topics.find((t) => t.name === opts.topic)
            if (r === undefined) throw new SluiceError('KAFKA_ERROR', `${what}: the cluster answered no result`)
            if (r.errorCode !== ErrorCode.NONE) throw answerError(r.errorCode, r.errorMessage)
            return r
          },
        },
      )
      const configs: Record<string, string | null> = {}
      for (const name of [...opts.configs.keys()].sort()) configs[name] = created.configs?.find((c) => c.name === name)?.value ?? opts.configs.get(name) ?? null
      return {
        topic: created.name,
        created: true,
        topicId: dashedTopicId(created.topicId),
        partitionCount: created.numPartitions,
        replicationFactor: created.replicationFactor,
        configs,
      }
    } catch (err) {
      if (!(opts.ifNotExists && kafkaApiCode(err) === ErrorCode.TOPIC_ALREADY_EXISTS)) throw this.fail(err, what)
    }
    const t = await this.requireTopic(opts.topic, what)
    return {
      topic: opts.topic,
      created: false,
      topicId: dashedTopicId(t.topicId),
      partitionCount: t.partitions.length,
      replicationFactor: replicationFactorOf(t),
      configs: await this.topicConfigs(opts.topic, what),
    }
  }

  /**
   * Per partition, what its leader says: log start offset, end offset (high watermark) and log
   * size. Each leader is asked on its own, so a broker that does not answer costs only its own
   * partitions' figures (null, and a warning), not the whole description.
   */
  private async leaderFigures(
    topic: string,
    brokers: ReadonlyMap<number, BrokerAddress>,
    partitions: readonly Partition[],
    warnings: string[],
  ): Promise<Map<number, { start?: number; end?: number; size?: number }>> {
    const out = new Map<number, { start?: number; end?: number; size?: number }>()
    const byLeader = new Map<number, Partition[]>()
    for (const p of partitions) {
      out.set(p.partitionIndex, {})
      if (p.leaderId >= 0) byLeader.set(p.leaderId, [...(byLeader.get(p.leaderId) ?? []), p])
    }
    const offsetsAt = async (broker: BrokerAddress, led: Partition[], timestamp: number, key: 'start' | 'end'): Promise<void> => {
      const body = {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: led.map((p) => ({ partitionIndex: p.partitionIndex, currentLeaderEpoch: p.leaderEpoch, timestamp })) }],
      }
      const r = await this.client.request(broker, listOffsetsApi, body, { timeoutMs: this.requestTimeoutMs, max: LIST_OFFSETS_VERSION_MAX })
      for (const t of r.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) out.get(p.partitionIndex)![key] = p.offset
    }
    const sizes = async (broker: BrokerAddress, led: Partition[]): Promise<void> => {
      const body = { topics: [{ topic, partitions: led.map((p) => p.partitionIndex) }] }
      const r = await this.client.request(broker, describeLogDirsApi, body, { timeoutMs: this.requestTimeoutMs })
      for (const dir of r.results) {
        if (dir.errorCode !== ErrorCode.NONE) continue
        for (const t of dir.topics) {
          if (t.name !== topic) continue
          for (const p of t.partitions) {
            const figures = out.get(p.partitionIndex)
            if (figures && !p.isFutureKey) figures.size = (figures.size ?? 0) + p.partitionSize
          }
        }
      }
    }
    await Promise.all(
      [...byLeader].map(async ([leader, led]) => {
        const which = `partition(s) ${led.map((p) => p.partitionIndex).join(',')}`
        const broker = brokers.get(leader)
        if (!broker) return warnings.push(`broker ${leader}, the leader of ${which}, is not in the metadata`)
        const [start, end, size] = await Promise.allSettled([
          offsetsAt(broker, led, EARLIEST, 'start'),
          offsetsAt(broker, led, LATEST, 'end'),
          sizes(broker, led),
        ])
        const failed = [start, end, size].find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (!failed) return
        const missing = size.status === 'rejected' && start.status === 'fulfilled' && end.status === 'fulfilled' ? 'sizes' : 'offsets and sizes'
        const why = this.fail(failed.reason, `broker ${leader}`)
        const reason = why.code === 'CLUSTER_UNREACHABLE' ? `broker ${leader} (${broker.host}:${broker.port}) does not answer` : why.message
        warnings.push(`${missing} of ${which} not available: ${reason}`)
      }),
    )
    return out
  }

  /** Partitions with leader, replicas, ISR, offsets and sizes; `warnings` say what could not be read. */
  async describeTopic(topic: string): Promise<{ description: TopicDescription; warnings: string[] }> {
    const what = `cannot describe topic "${topic}"`
    validateTopicName(topic)
    const t = await this.requireTopic(topic, what)
    const parts = [...t.partitions].sort((x, y) => x.partitionIndex - y.partitionIndex)
    const warnings: string[] = []
    const [figures, configs] = await Promise.all([this.leaderFigures(topic, t.brokers, parts, warnings), this.topicConfigs(topic, what)])
    const partitions = parts.map((p) => {
      const f = figures.get(p.partitionIndex) ?? {}
      return {
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
        logStartOffset: f.start ?? null,
        endOffset: f.end ?? null,
        sizeBytes: f.size ?? null,
      }
    })
    const known = partitions.every((p) => p.sizeBytes !== null)
    return {
      description: {
        topic,
        topicId: dashedTopicId(t.topicId),
        internal: t.isInternal,
        partitionCount: parts.length,
        replicationFactor: replicationFactorOf(t),
        sizeBytes: known ? partitions.reduce((sum, p) => sum + (p.sizeBytes ?? 0), 0) : null,
        configs,
        partitions,
      },
      warnings,
    }
  }

  /**
   * Sets and resets (deletes back to the default) topic configs in one IncrementalAlterConfigs,
   * then grows the topic to `partitions` (CreatePartitions) when asked. A count not larger than the
   * topic's is a usage error before anything is sent (partitions cannot be removed).
   */
  async alterTopic(topic: string, set: ReadonlyMap<string, string>, reset: readonly string[], partitions?: number): Promise<AlterTopicResult> {
    const what = `cannot alter topic "${topic}"`
    validateTopicName(topic)
    const current = (await this.requireTopic(topic, what)).partitions.length
    if (partitions !== undefined && partitions <= current) {
      throw usageError(`${what}: it has ${current} partition(s), and ${partitions} is not more (partitions can be added, never removed)`)
    }
    const configs = [
      ...[...set].map(([name, value]) => ({ name, value, configOperation: AlterConfigOp.SET })),
      ...reset.map((name) => ({ name, value: null, configOperation: AlterConfigOp.DELETE })),
    ]
    try {
      if (configs.length > 0) {
        await this.client.request(
          'controller',
          incrementalAlterConfigsApi,
          { resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configs }], validateOnly: false },
          {
            timeoutMs: this.requestTimeoutMs,
            check: (a) => {
              const r = a.responses.find((x) => x.resourceName === topic)
              if (r !== undefined && r.errorCode !== ErrorCode.NONE) throw answerError(r.errorCode, r.errorMessage)
            },
          },
        )
      }
      if (partitions !== undefined) {
        await this.client.request(
          'controller',
          createPartitionsApi,
          // No assignments: the cluster places the new partitions as it places a new topic's.
          { topics: [{ name: topic, count: partitions, assignments: null }], timeoutMs: CONTROLLER_TIMEOUT_MS, validateOnly: false },
          {
            timeoutMs: this.requestTimeoutMs,
            check: (a) => {
              const r = a.results.find((x) => x.name === topic)
              if (r === undefined) throw new SluiceError('KAFKA_ERROR', `${what}: the cluster answered no result`)
              if (r.errorCode !== ErrorCode.NONE) throw answerError(r.errorCode, r.errorMessage)
            },
          },
        )
      }
    } catch (err) {
      throw this.fail(err, what)
    }
    return {
      topic,
      set: Object.fromEntries(set),
      deleted: [...reset],
      configs: await this.topicConfigs(topic, what),
      ...(partitions !== undefined ? { partitions: { from: current, to: partitions } } : {}),
    }
  }

  async deleteTopic(topic: string, opts: { ifExists?: boolean } = {}): Promise<DeleteTopicResult> {
    const what = `cannot delete topic "${topic}"`
    validateTopicName(topic)
    try {
      await this.requireTopic(topic, what)
    } catch (err) {
      if (opts.ifExists && err instanceof SluiceError && err.code === 'NOT_FOUND') return { topic, deleted: false }
      throw err
    }
    try {
      await this.client.request(
        'controller',
        deleteTopicsApi,
        // v6+ names topics in `topics`, earlier versions in `topicNames`: the codec writes the one of the version.
        { topics: [{ name: topic, topicId: ZERO_UUID }], topicNames: [topic], timeoutMs: CONTROLLER_TIMEOUT_MS },
        {
          timeoutMs: this.requestTimeoutMs,
          check: (a) => {
            const r = a.responses.find((x) => x.name === topic)
            if (r !== undefined && r.errorCode !== ErrorCode.NONE) throw answerError(r.errorCode, r.errorMessage)
          },
        },
      )
    } catch (err) {
      // Deleted by someone else between the check and the delete: the outcome the caller wanted.
      if (opts.ifExists && kafkaApiCode(err) === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return { topic, deleted: false }
      throw this.fail(err, what)
    }
    return { topic, deleted: true }
  }
}

/** Runs `fn` with a TopicAdmin and always closes it. */
export async function withTopicAdmin<T>(
  target: ClusterTarget,
  fn: (admin: TopicAdmin) => Promise<T>,
  opts: { requestTimeoutMs?: number } = {},
): Promise<T> {
  const admin = new TopicAdmin(target, opts)
  try {
    return await fn(admin)
  } finally {
    await admin.close()
  }
}
