/**
 * Reaching a Kafka cluster from the CLI: the bootstrap servers (`--bootstrap-server`,
 * `$SLUICE_BOOTSTRAP_SERVER`, else the local daemon, started on first use), the options every
 * @platformatic/kafka client gets, and the mapping of the client's errors to sluice's errors.
 *
 * The same code serves the local daemon and any real Kafka cluster: nothing here is sluice-only.
 */
import { SluiceError } from '../common/errors.js'
import { ErrorCode, isRetriable } from '../protocol/errors.js'
import { ensureDaemon } from './daemon.js'

/**
 * How long a read keeps retrying what a new leader can cure (a crashed broker that the metadata
 * still names as leader, a leader change): longer than a broker's session timeout (9 s), after
 * which Kafka fences the broker and elects new leaders.
 */
export const RETRY_WINDOW_MS = 30_000
const BACKOFF_MS_MIN = 100
const BACKOFF_MS_MAX = 2_000

export interface ClusterTarget {
  /** host:port list for the Kafka client. */
  bootstrapBrokers: string[]
  /** True when this is the local sluice daemon (simulation commands are allowed). */
  local: boolean
}

export interface ResolveOptions {
  /** The --bootstrap-server flag (comma-separated host:port), if given. */
  bootstrapServer?: string
  home: string
  quiet?: boolean
}

/** The cluster a command talks to. Starts the local daemon when no bootstrap server is given. */
export async function resolveCluster(opts: ResolveOptions): Promise<ClusterTarget> {
  const given = opts.bootstrapServer ?? process.env.SLUICE_BOOTSTRAP_SERVER
  if (given !== undefined && given.trim() !== '') {
    const bootstrapBrokers = given
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
    for (const b of bootstrapBrokers) {
      if (!/^[^:\s]+:\d{1,5}$/.test(b)) {
        throw new SluiceError('USAGE', `bad --bootstrap-server entry "${b}": expected host:port`)
      }
    }
    return { bootstrapBrokers, local: false }
  }
  const { bootstrap, brokers } = await ensureDaemon({ home: opts.home, quiet: opts.quiet })
  return { bootstrapBrokers: brokers.length > 0 ? brokers : [bootstrap], local: true }
}

/** Options shared by every @platformatic/kafka client the CLI creates. */
export function clientOptions(target: ClusterTarget, clientId = 'sluice'): {
  clientId: string
  bootstrapBrokers: string[]
  connectTimeout: number
  retries: number
  retryDelay: number
} {
  return {
    clientId,
    bootstrapBrokers: target.bootstrapBrokers,
    connectTimeout: 5_000,
    retries: 5,
    retryDelay: 200,
  }
}

/**
 * The Kafka error codes that map to a sluice error code (and so an exit code) other than
 * KAFKA_ERROR, for every failure that reaches toClusterError. A caller that knows more says it in
 * its own message (produce's records too large, a reset that raced a rejoining member).
 */
const SLUICE_CODE_BY_KAFKA_CODE: ReadonlyMap<number, string> = new Map([
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'NOT_FOUND'],
  [ErrorCode.UNKNOWN_TOPIC_ID, 'NOT_FOUND'],
  [ErrorCode.GROUP_ID_NOT_FOUND, 'NOT_FOUND'],
  [ErrorCode.TOPIC_ALREADY_EXISTS, 'CONFLICT'],
  [ErrorCode.NON_EMPTY_GROUP, 'CONFLICT'],
  [ErrorCode.INVALID_TOPIC_EXCEPTION, 'USAGE'],
  [ErrorCode.INVALID_PARTITIONS, 'USAGE'],
  [ErrorCode.INVALID_REPLICATION_FACTOR, 'USAGE'],
  [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'USAGE'],
  [ErrorCode.INVALID_CONFIG, 'USAGE'],
])

/** The sluice error code for a Kafka error code: NOT_FOUND, CONFLICT, USAGE or KAFKA_ERROR. */
function sluiceCodeForKafkaError(kafkaCode: number): string {
  return SLUICE_CODE_BY_KAFKA_CODE.get(kafkaCode) ?? 'KAFKA_ERROR'
}

interface ClientErrorShape {
  code?: unknown
  message?: string
  apiCode?: unknown
  errors?: unknown[]
  cause?: unknown
}

/** The first Kafka API error code found in a @platformatic/kafka error tree, if any. */
export function kafkaApiCode(err: unknown, depth = 0): number | undefined {
  if (depth > 6 || typeof err !== 'object' || err === null) return undefined
  const e = err as ClientErrorShape
  if (typeof e.apiCode === 'number' && e.apiCode !== ErrorCode.NONE) return e.apiCode
  for (const inner of e.errors ?? []) {
    const code = kafkaApiCode(inner, depth + 1)
    if (code !== undefined) return code
  }
  return kafkaApiCode(e.cause, depth + 1)
}

/** @platformatic/kafka's network failures, and the socket's own (wire/connection.ts passes them on). */
const NETWORK_ERROR_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])

function isNetworkFailure(err: unknown, depth = 0): boolean {
  if (depth > 6 || typeof err !== 'object' || err === null) return false
  const e = err as ClientErrorShape
  if (typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code)) return true
  if ((e.errors ?? []).some((inner) => isNetworkFailure(inner, depth + 1))) return true
  return isNetworkFailure(e.cause, depth + 1)
}

/** The host:port of every broker a connection to failed in a @platformatic/kafka error tree. */
export function unansweringBrokers(err: unknown, found = new Set<string>(), depth = 0): Set<string> {
  if (depth > 6 || typeof err !== 'object' || err === null) return found
  const e = err as ClientErrorShape
  const m = /^Connection to (\S+:\d+) failed/.exec(e.message ?? '')
  if (m) found.add(m[1]!)
  for (const inner of e.errors ?? []) unansweringBrokers(inner, found, depth + 1)
  unansweringBrokers(e.cause, found, depth + 1)
  return found
}

/**
 * A failure a retry after a metadata refresh can cure: a broker that does not answer (while
 * others do), or a retriable Kafka error. An unknown topic is not: it is an answer.
 */
export function isRetriableFailure(err: unknown): boolean {
  if (err instanceof SluiceError) return false
  if (isNetworkFailure(err)) return true
  const code = kafkaApiCode(err)
  return code !== undefined && code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && isRetriable(code)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `attempt` until it succeeds, retrying retriable failures with backoff (100 ms doubling to
 * 2 s) for up to `windowMs`, with `refresh` (a forced metadata update) before each retry; then
 * throws the last failure. As kcat and Kafka's consumer wait out an election.
 */
export async function retryRetriable<T>(
  attempt: () => Promise<T>,
  opts: { refresh?: () => Promise<unknown>; windowMs?: number } = {},
): Promise<T> {
  const startedMs = Date.now()
  const windowMs = opts.windowMs ?? RETRY_WINDOW_MS
  for (let failures = 0; ; failures++) {
    try {
      return await attempt()
    } catch (err) {
      if (!isRetriableFailure(err) || Date.now() - startedMs > windowMs) throw err
    }
    await sleep(Math.min(BACKOFF_MS_MIN * 2 ** failures, BACKOFF_MS_MAX))
    await opts.refresh?.().catch(() => undefined)
  }
}

/**
 * Turns a client library error into a SluiceError with the right exit code: unreachable cluster
 * (3), not found (4), conflict (5), usage (2) for invalid names/configs, else Kafka error (7).
 */
export function toClusterError(err: unknown, target: ClusterTarget, what: string): SluiceError {
  if (err instanceof SluiceError) return err
  if (isNetworkFailure(err)) {
    // Name the brokers that did not answer when others did: "the cluster" would be a lie.
    const silent = [...unansweringBrokers(err)]
    if (silent.length > 0 && silent.length < target.bootstrapBrokers.length) {
      const who = silent.length === 1 ? `the broker at ${silent[0]} does not answer` : `the brokers at ${silent.join(',')} do not answer`
      return new SluiceError('CLUSTER_UNREACHABLE', `${who} (${what}); the others do`, { cause: err, retriable: true })
    }
    return new SluiceError('CLUSTER_UNREACHABLE', `cannot reach the cluster at ${target.bootstrapBrokers.join(',')} (${what})`, {
      cause: err,
      retriable: true,
    })
  }
  const apiCode = kafkaApiCode(err)
  const message = err instanceof Error ? err.message : String(err)
  // @platformatic/kafka turns UNKNOWN_TOPIC_OR_PARTITION from Metadata into a plain user error.
  if (apiCode === undefined && /^Unknown topic /.test(message)) {
    return new SluiceError('NOT_FOUND', `${what}: ${message}`, { cause: err })
  }
  if (apiCode !== undefined) {
    return new SluiceError(sluiceCodeForKafkaError(apiCode), `${what}: ${message}`, { cause: err })
  }
  return new SluiceError('KAFKA_ERROR', `${what}: ${message}`, { cause: err })
}
