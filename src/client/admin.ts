/**
 * Topic administration for `sluice topic ...`, on @platformatic/kafka's Admin, so the same calls
 * work against the local daemon and any Kafka cluster: Metadata, CreateTopics, DeleteTopics,
 * DescribeConfigs, IncrementalAlterConfigs, ListOffsets and DescribeLogDirs (for sizes).
 *
 * Results are plain JSON-ready objects (offsets and sizes as numbers); every failure is a
 * SluiceError whose message carries the broker's own error message and Kafka's error name.
 */
import { ErrorCode, errorName } from '../protocol/errors.js'
import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
  kPerformWithRetry,
  type Callback,
  type Connection,
} from '@platformatic/kafka'
import { SluiceError, usageError } from '../common/errors.js'
import { clientOptions, toClusterError, type ClusterTarget } from './kafka.js'
import {
  validateTopicName,
  type AlterTopicResult,
  type CreateTopicOptions,
  type CreateTopicResult,
  type DeleteTopicResult,
  type TopicDescription,
  type TopicSummary,
} from './topic-model.js'

export * from './topic-model.js'

/** What sluice reads of a Metadata response (the same in every version the client speaks). */
interface MetadataResponseTopic {
  errorCode: number
  name: string | null | undefined
  topicId: string
  isInternal: boolean
  partitions: {
    errorCode: number
    partitionIndex: number
    leaderId: number
    leaderEpoch: number
    replicaNodes: number[]
    isrNodes: number[]
    offlineReplicas: number[]
  }[]
}
interface MetadataResponse {
  brokers: { nodeId: number; host: string; port: number }[]
  topics: MetadataResponseTopic[]
}

interface ListOffsetsResponse {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number; offset: bigint }[] }[]
}

interface DescribeLogDirsResponse {
  results: { errorCode: number; topics: { name: string; partitions: { partitionIndex: number; partitionSize: bigint; isFutureKey: boolean }[] }[] }[]
}

type Partition = MetadataResponseTopic['partitions'][number]
type BrokerAddress = { host: string; port: number }

const REQUEST_TIMEOUT_MS = 10_000
/**
 * CreateTopics of thousands of partitions is legitimately slow (the daemon answers within the
 * request's 5 s timeoutMs once the topic is committed, and committing 10,000 partitions takes
 * seconds on a busy machine): waiting less would report a created topic as an unreachable cluster.
 */
export const CREATE_REQUEST_TIMEOUT_MS = 30_000
const EARLIEST = -2n
const LATEST = -1n

interface ApiErrorNode {
  apiCode?: unknown
  apiId?: unknown
  serverErrorMessage?: unknown
  message?: unknown
  errors?: unknown[]
  cause?: unknown
}

/** The first Kafka API error in a client error tree: its code, name and the broker's message. */
function firstApiError(err: unknown, depth = 0): { code: number; name: string; message: string } | undefined {
  if (depth > 8 || typeof err !== 'object' || err === null) return undefined
  const e = err as ApiErrorNode
  if (typeof e.apiCode === 'number' && e.apiCode !== ErrorCode.NONE) {
    const server = typeof e.serverErrorMessage === 'string' && e.serverErrorMessage !== '' ? e.serverErrorMessage : undefined
    return { code: e.apiCode, name: String(e.apiId ?? e.apiCode), message: server ?? String(e.message ?? '') }
  }
  for (const inner of e.errors ?? []) {
    const found = firstApiError(inner, depth + 1)
    if (found) return found
  }
  return firstApiError(e.cause, depth + 1)
}

function apiErrorCodes(err: unknown): Set<number> {
  const codes = new Set<number>()
  const walk = (e: unknown, depth: number): void => {
    if (depth > 8 || typeof e !== 'object' || e === null) return
    const node = e as ApiErrorNode
    if (typeof node.apiCode === 'number') codes.add(node.apiCode)
    for (const inner of node.errors ?? []) walk(inner, depth + 1)
    walk(node.cause, depth + 1)
  }
  walk(err, 0)
  return codes
}

/** Configs whose source is not Kafka's own default, as `kafka-topics --describe` shows them. */
function overrides(configs: readonly { name: string; value: string | null | undefined; configSource: number }[]): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  for (const c of [...configs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (c.configSource !== ConfigSources.DEFAULT_CONFIG) out[c.name] = c.value ?? null
  }
  return out
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

/** Metadata below v10 carries no topic id (the client then reports the name): null = unknown. */
function topicIdOf(t: MetadataResponseTopic): string | null {
  return t.topicId === t.name || t.topicId === ZERO_UUID || t.topicId === '' ? null : t.topicId
}

function replicationFactorOf(t: MetadataResponseTopic): number {
  return t.partitions.reduce((max, p) => Math.max(max, p.replicaNodes.length), 0)
}

/** One Admin client for the duration of a command. */
export class TopicAdmin {
  private readonly admin: Admin

  constructor(
    readonly target: ClusterTarget,
    opts: { requestTimeoutMs?: number } = {},
  ) {
    // A hung broker should cost a person at the terminal seconds, not Kafka's 30 s default.
    const requestTimeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
    this.admin = new Admin({ ...clientOptions(target, 'sluice-admin'), autocreateTopics: false, requestTimeout })
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined)
  }

  /** A client error as a SluiceError: the right exit code, and the broker's words. */
  private fail(err: unknown, what: string): SluiceError {
    const mapped = toClusterError(err, this.target, what)
    const api = firstApiError(err)
    if (api === undefined || mapped.code === 'CLUSTER_UNREACHABLE') return mapped
    return new SluiceError(mapped.code, `${what}: ${api.message} (${api.name})`, { cause: err, exit: mapped.exit })
  }

  /**
   * One request of `apiName` (the version the client and the broker agree on) to a broker, or to
   * any bootstrap broker. A response that carries Kafka errors is returned as the broker answered
   * it when `accept(response)` says so: the caller then reads the errors per topic or partition.
   * Retriable failures (network, or a response not accepted) are retried as the client does.
   */
  private request<T>(to: BrokerAddress | null, apiName: string, args: unknown[], accept: (answered: T) => boolean): Promise<T> {
    const admin = this.admin
    return new Promise((resolve, reject) => {
      const operation = (done: Callback<T>): void => {
        const withConnection = (error: Error | null, connection?: Connection): void => {
          if (error || !connection) return done(error)
          admin[kGetApi]<unknown[], T>(apiName, (apiError, api) => {
            if (apiError || !api) return done(apiError)
            api.async(connection, ...args).then(
              (response) => done(null, response),
              (requestError: Error & { response?: T }) => {
                const answered = requestError.response
                if (answered !== undefined && accept(answered)) done(null, answered)
                else done(requestError)
              },
            )
          })
        }
        if (to === null) admin[kGetBootstrapConnection](withConnection)
        else admin[kGetConnection](to, withConnection)
      }
      const finish = (error: Error | null, response?: T): void => (error || response === undefined ? reject(error) : resolve(response))
      admin[kPerformWithRetry]<T>(apiName, operation, finish as never, 0)
    })
  }

  /**
   * Metadata for some topics, or all (null). Asking for named topics, one still being created
   * (LEADER_NOT_AVAILABLE) is asked again; listing all, it is listed as it is.
   */
  private metadata(topics: string[] | null): Promise<MetadataResponse> {
    const accept = (r: MetadataResponse): boolean => topics === null || !r.topics.some((t) => t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE)
    return this.request<MetadataResponse>(null, 'Metadata', [topics, false, false], accept)
  }

  /** The topic's metadata; NOT_FOUND (exit 4) when it does not exist. */
  private async requireTopic(topic: string, what: string): Promise<MetadataResponseTopic & { brokers: Map<number, BrokerAddress> }> {
    let response: MetadataResponse
    try {
      response = await this.metadata([topic])
    } catch (err) {
      throw this.fail(err, what)
    }
    const t = response.topics.find((x) => x.name === topic)
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new SluiceError('NOT_FOUND', `${what}: topic "${topic}" does not exist`)
    if (t.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION) throw usageError(`${what}: bad topic name "${topic}" (INVALID_TOPIC_EXCEPTION)`)
    if (t.errorCode !== ErrorCode.NONE) throw new SluiceError('KAFKA_ERROR', `${what}: metadata for topic "${topic}" answered error ${errorName(t.errorCode)}`)
    return { ...t, brokers: new Map(response.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }])) }
  }

  private async topicConfigs(topic: string, what: string): Promise<Record<string, string | null>> {
    try {
      const [described] = await this.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] })
      return overrides(described?.configs ?? [])
    } catch (err) {
      throw this.fail(err, what)
    }
  }

  async createTopic(opts: CreateTopicOptions): Promise<CreateTopicResult> {
    const what = `cannot create topic "${opts.topic}"`
    validateTopicName(opts.topic)
    try {
      const [created] = await this.admin.createTopics({
        topics: [opts.topic],
        partitions: opts.partitions,
        replicas: opts.replicationFactor,
        configs: [...opts.configs].map(([name, value]) => ({ name, value })),
      })
      if (!created) throw new SluiceError('KAFKA_ERROR', `${what}: the cluster answered no result`)
      const configs: Record<string, string | null> = {}
      for (const name of [...opts.configs.keys()].sort()) configs[name] = created.configuration[name] ?? opts.configs.get(name) ?? null
      return {
        topic: created.name,
        created: true,
        topicId: created.id,
        partitionCount: created.partitions,
        replicationFactor: created.replicas,
        configs,
      }
    } catch (err) {
      if (!(opts.ifNotExists && apiErrorCodes(err).has(ErrorCode.TOPIC_ALREADY_EXISTS))) throw this.fail(err, what)
    }
    const t = await this.requireTopic(opts.topic, what)
    return {
      topic: opts.topic,
      created: false,
      topicId: topicIdOf(t),
      partitionCount: t.partitions.length,
      replicationFactor: replicationFactorOf(t),
      configs: await this.topicConfigs(opts.topic, what),
    }
  }

  async listTopics(opts: { internal?: boolean } = {}): Promise<TopicSummary[]> {
    let response: MetadataResponse
    try {
      response = await this.metadata(null)
    } catch (err) {
      throw this.fail(err, 'cannot list topics')
    }
    return response.topics
      .filter((t) => typeof t.name === 'string' && (t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) && (opts.internal || !t.isInternal))
      .map((t) => ({
        topic: t.name!,
        topicId: topicIdOf(t),
        internal: t.isInternal,
        partitionCount: t.partitions.length,
        replicationFactor: replicationFactorOf(t),
      }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
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
    const offsetsAt = async (broker: BrokerAddress, led: Partition[], timestamp: bigint, key: 'start' | 'end'): Promise<void> => {
      const req = [{ name: topic, partitions: led.map((p) => ({ partitionIndex: p.partitionIndex, currentLeaderEpoch: p.leaderEpoch, timestamp })) }]
      const r = await this.request<ListOffsetsResponse>(broker, 'ListOffsets', [-1, 0, req], () => true)
      for (const t of r.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) out.get(p.partitionIndex)![key] = Number(p.offset)
    }
    const sizes = async (broker: BrokerAddress, led: Partition[]): Promise<void> => {
      const req = [{ name: topic, partitions: led.map((p) => p.partitionIndex) }]
      const r = await this.request<DescribeLogDirsResponse>(broker, 'DescribeLogDirs', [req], () => true)
      for (const dir of r.results) {
        if (dir.errorCode !== ErrorCode.NONE) continue
        for (const t of dir.topics) {
          if (t.name !== topic) continue
          for (const p of t.partitions) {
            const figures = out.get(p.partitionIndex)
            if (figures && !p.isFutureKey) figures.size = (figures.size ?? 0) + Number(p.partitionSize)
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
        topicId: topicIdOf(t),
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

  /** Sets and resets (deletes back to the default) topic configs in one IncrementalAlterConfigs. */
  async alterTopic(topic: string, set: ReadonlyMap<string, string>, reset: readonly string[]): Promise<AlterTopicResult> {
    const what = `cannot alter topic "${topic}"`
    validateTopicName(topic)
    await this.requireTopic(topic, what)
    try {
      await this.admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: [
              ...[...set].map(([name, value]) => ({ name, value, configOperation: IncrementalAlterConfigOperationTypes.SET })),
              ...reset.map((name) => ({ name, configOperation: IncrementalAlterConfigOperationTypes.DELETE })),
            ],
          },
        ],
      })
    } catch (err) {
      throw this.fail(err, what)
    }
    return { topic, set: Object.fromEntries(set), deleted: [...reset], configs: await this.topicConfigs(topic, what) }
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
      await this.admin.deleteTopics({ topics: [topic] })
    } catch (err) {
      // Deleted by someone else between the check and the delete: the outcome the caller wanted.
      if (opts.ifExists && apiErrorCodes(err).has(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) return { topic, deleted: false }
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
