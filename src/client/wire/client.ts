/**
 * What `consume`, `produce` and the `topic` commands ask of a cluster besides fetches and sends,
 * on sluice's own connections (connection.ts, pooled by pool.ts): topic metadata (cached until
 * asked to refresh), one connection per broker, ListOffsets per leader, a producer id, a topic's
 * config, and any request to a broker, a bootstrap broker or the controller (`request`). It has
 * the shape of the @platformatic/kafka Consumer methods the fetch loop used (fetcher.ts
 * FetcherClient), so the loop runs on either.
 *
 * Retries follow the library's (clientOptions: 5 more attempts, 200 ms apart) for lost
 * connections and topics still being created (LEADER_NOT_AVAILABLE); an unknown topic is answered
 * at once (Kafka clients retry it, for a topic about to be auto-created; consume never creates one).
 */
import { ErrorCode, errorName, isRetriable } from '../../protocol/errors.js'
import { listOffsetsApi } from '../../protocol/messages/02-list-offsets.js'
import { metadataApi } from '../../protocol/messages/03-metadata.js'
import { initProducerIdApi } from '../../protocol/messages/22-init-producer-id.js'
import { ConfigResourceType, describeConfigsApi } from '../../protocol/messages/32-describe-configs.js'
import type { ApiSchema, Decoded, Input } from '../../protocol/schema.js'
import { clientOptions, type ClusterTarget } from '../kafka.js'
import { parseBroker } from './bootstrap.js'
import { WireError, type BrokerAddress, type WireConnection } from './connection.js'
import { WirePool } from './pool.js'

/** A Kafka error code in an answer, as the @platformatic/kafka errors carry it (kafka.ts reads `apiCode`). */
export class KafkaAnswerError extends Error {
  constructor(
    readonly apiCode: number,
    message: string,
  ) {
    super(message)
  }
}

export interface TopicMetadata {
  partitionsCount: number
  partitions: { leader: number; leaderEpoch: number; replicas: number[] }[]
}

export interface ClusterMetadataView {
  brokers: Map<number, BrokerAddress>
  topics: Map<string, TopicMetadata>
}

const REQUEST_TIMEOUT_MS = 30_000
const METADATA_VERSION_MAX = 12
/** v1+ answer one offset per partition (v0 a list). */
const LIST_OFFSETS_VERSION_MAX = 7
/** Kafka's transaction.timeout.ms default, which the Java producer sends even when only idempotent. */
const TRANSACTION_TIMEOUT_MS = 60_000

export class WireClient {
  private readonly pool: WirePool
  /** The connection to a broker, opened on first use and kept. */
  readonly connections: { get(broker: BrokerAddress): Promise<WireConnection> }
  private readonly cache = new Map<string, ClusterMetadataView>()
  private readonly options: ReturnType<typeof clientOptions>
  private closed = false

  constructor(
    private readonly target: ClusterTarget,
    clientId: string,
  ) {
    this.options = clientOptions(target, clientId)
    this.pool = new WirePool({ clientId: this.options.clientId, connectTimeoutMs: this.options.connectTimeout, requestTimeoutMs: REQUEST_TIMEOUT_MS })
    this.connections = this.pool
  }

  /** Metadata of `topics`; `autocreateTopics` lets a cluster that auto-creates topics create them. */
  async metadata(opts: { topics: string[]; forceUpdate?: boolean; autocreateTopics?: boolean }): Promise<ClusterMetadataView> {
    const key = opts.topics.join('\0')
    const cached = this.cache.get(key)
    if (cached !== undefined && !opts.forceUpdate) return cached
    const md = await this.withRetries(async (attempt) => {
      const connection = await this.anyBroker(attempt)
      const answer = await connection.request(metadataApi, { topics: opts.topics.map((name) => ({ name })), allowAutoTopicCreation: opts.autocreateTopics === true }, { timeoutMs: REQUEST_TIMEOUT_MS, max: METADATA_VERSION_MAX })
      const topics = new Map<string, TopicMetadata>()
      for (const t of answer.topics) {
        if (t.errorCode !== ErrorCode.NONE) {
          const why = t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `Unknown topic ${t.name}.` : `metadata for topic ${t.name}: ${errorName(t.errorCode)}`
          throw new KafkaAnswerError(t.errorCode, why)
        }
        const partitions: TopicMetadata['partitions'] = []
        for (const p of t.partitions) partitions[p.partitionIndex] = { leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes }
        topics.set(t.name!, { partitionsCount: t.partitions.length, partitions })
      }
      return { brokers: new Map(answer.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }])), topics }
    })
    this.cache.set(key, md)
    return md
  }

  /** Offsets at `timestamp` (-2 earliest, -1 latest: the LSO at isolation level 1) per partition, asked of each leader. */
  async listOffsets(opts: { topics: string[]; partitions?: Record<string, number[]>; timestamp?: bigint; isolationLevel?: number }): Promise<Map<string, bigint[]>> {
    const out = new Map<string, bigint[]>()
    for (const topic of opts.topics) {
      const offsets: bigint[] = []
      await this.withRetries(async (attempt) => {
        const md = await this.metadata({ topics: [topic], forceUpdate: attempt > 0 })
        const t = md.topics.get(topic)!
        const wanted = opts.partitions?.[topic] ?? Array.from({ length: t.partitionsCount }, (_, i) => i)
        const byLeader = new Map<number, number[]>()
        for (const p of wanted) {
          const leader = t.partitions[p]?.leader ?? -1
          if (leader < 0) throw new KafkaAnswerError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}/${p} has no leader`)
          byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
        }
        await Promise.all(
          [...byLeader].map(async ([leader, partitions]) => {
            const broker = md.brokers.get(leader)
            if (broker === undefined) throw new KafkaAnswerError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${leader} is not in the metadata`)
            const connection = await this.connections.get(broker)
            const answer = await connection.request(
              listOffsetsApi,
              {
                replicaId: -1,
                isolationLevel: opts.isolationLevel ?? 0,
                topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: Number(opts.timestamp ?? -1n) })) }],
              },
              { timeoutMs: REQUEST_TIMEOUT_MS, max: LIST_OFFSETS_VERSION_MAX },
            )
            for (const at of answer.topics) {
              for (const p of at.partitions) {
                if (p.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(p.errorCode, `listing the offsets of ${topic}/${p.partitionIndex}: ${errorName(p.errorCode)}`)
                offsets[p.partitionIndex] = BigInt(p.offset)
              }
            }
          }),
        )
      })
      out.set(topic, offsets)
    }
    return out
  }

  /** A producer id and epoch for an idempotent producer (InitProducerId without a transactional id). */
  initIdempotentProducer(_opts: object = {}): Promise<{ producerId: bigint; producerEpoch: number }> {
    return this.withRetries(async (attempt) => {
      const connection = await this.anyBroker(attempt)
      const answer = await connection.request(initProducerIdApi, { transactionalId: null, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS }, { timeoutMs: REQUEST_TIMEOUT_MS })
      if (answer.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(answer.errorCode, `InitProducerId: ${errorName(answer.errorCode)}`)
      return { producerId: BigInt(answer.producerId), producerEpoch: answer.producerEpoch }
    })
  }

  /** One config of a topic, as the cluster describes it (null when it does not say). */
  topicConfig(topic: string, name: string): Promise<string | null> {
    return this.withRetries(async (attempt) => {
      const connection = await this.anyBroker(attempt)
      const answer = await connection.request(
        describeConfigsApi,
        { resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configurationKeys: [name] }] },
        { timeoutMs: REQUEST_TIMEOUT_MS },
      )
      const result = answer.results[0]
      if (result === undefined) return null
      if (result.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(result.errorCode, `DescribeConfigs ${topic}: ${errorName(result.errorCode)}`)
      return result.configs.find((c) => c.name === name)?.value ?? null
    })
  }

  /**
   * One request to `broker`, to a bootstrap broker (another on each attempt) when null, or to the
   * controller the metadata names (looked up on each attempt: it moves). A lost
   * connection is retried, and so is a retriable Kafka error that `check` throws as a
   * KafkaAnswerError after reading the answer; other error codes in the answer are the caller's.
   */
  request<A extends ApiSchema, T = Decoded<A['response']>>(
    broker: BrokerAddress | null | 'controller',
    api: A,
    body: Input<A['request']>,
    opts: { timeoutMs: number; max?: number; check?: (answer: Decoded<A['response']>) => T },
  ): Promise<T> {
    return this.withRetries(async (attempt) => {
      const connection = broker === null ? await this.anyBroker(attempt) : broker === 'controller' ? await this.controller(attempt) : await this.connections.get(broker)
      const answer = await connection.request(api, body, { timeoutMs: opts.timeoutMs, max: opts.max })
      return opts.check === undefined ? (answer as T) : opts.check(answer)
    })
  }

  /** A connection to the controller (Kafka before 2.8 takes topic changes there only), else to any broker. */
  private async controller(attempt: number): Promise<WireConnection> {
    const connection = await this.anyBroker(attempt)
    const answer = await connection.request(metadataApi, { topics: [], allowAutoTopicCreation: false }, { timeoutMs: REQUEST_TIMEOUT_MS, max: METADATA_VERSION_MAX })
    const controller = answer.brokers.find((b) => b.nodeId === answer.controllerId)
    return controller === undefined ? connection : this.connections.get({ host: controller.host, port: controller.port })
  }

  /** A connection to a bootstrap broker, another one on each attempt. */
  private anyBroker(attempt: number): Promise<WireConnection> {
    const brokers = this.target.bootstrapBrokers
    return this.connections.get(parseBroker(brokers[attempt % brokers.length]!))
  }

  /** Runs `fn` again after a lost connection or a retriable Kafka error (never an unknown topic). */
  private async withRetries<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    let last: unknown
    // A broker's answer says more than another broker that did not answer: the attempts rotate
    // over the bootstrap brokers, and the last one may be a dead one.
    let answered: unknown
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.options.retryDelay))
      if (this.closed) break
      try {
        return await fn(attempt)
      } catch (err) {
        const again =
          (err instanceof WireError && err.code !== 'UNSUPPORTED_VERSION') ||
          (err instanceof KafkaAnswerError && err.apiCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && isRetriable(err.apiCode))
        if (!again) throw err
        if (err instanceof KafkaAnswerError) answered = err
        last = err
      }
    }
    throw answered ?? last
  }

  close(): void {
    this.closed = true
    this.pool.close()
  }
}
