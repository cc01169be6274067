/**
 * The client's transaction manager (KIP-98), on sluice's own wire client: what `produce
 * --transactional-id` and `replay --into` ask of the transaction coordinator, in the order Kafka's
 * Java producer (TransactionManager) asks it:
 *
 *   init()          FindCoordinator (key type 1) for the transactional id, then InitProducerId with
 *                   the id and transaction.timeout.ms: the coordinator aborts whatever an earlier
 *                   producer with this id left open, bumps the epoch and so fences that producer
 *   begin()         local only
 *   addPartitions() AddPartitionsToTxn, before the first batch to each partition in a transaction
 *   sendOffsets()   AddOffsetsToTxn (the group's __consumer_offsets partition joins the
 *                   transaction), then TxnOffsetCommit to the group's coordinator
 *   commit/abort()  EndTxn, once every batch of the transaction is acknowledged (the caller drains
 *                   its sends first); skipped when nothing was added, as the Java producer does
 *
 * Retries, as Kafka's: NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE (and a lost connection) find
 * the coordinator again; CONCURRENT_TRANSACTIONS (the previous transaction's markers are still
 * being written), COORDINATOR_LOAD_IN_PROGRESS and the other retriable codes try again after a
 * pause; each operation gives up after `operationTimeoutMs` (Kafka's max.block.ms). Fatal codes
 * (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
 * INVALID_TXN_STATE, ...) end the manager: every later call throws the same error, which names the
 * transactional id. After a commit is answered the transaction is done, whatever happens next.
 */
import { ExitCode, SluiceError } from '../../common/errors.js'
import { ErrorCode, errorName, isRetriable } from '../../protocol/errors.js'
import { addOffsetsToTxnApi } from '../../protocol/messages/25-add-offsets-to-txn.js'
import { addPartitionsToTxnApi } from '../../protocol/messages/24-add-partitions-to-txn.js'
import { endTxnApi } from '../../protocol/messages/26-end-txn.js'
import { initProducerIdApi } from '../../protocol/messages/22-init-producer-id.js'
import { txnOffsetCommitApi } from '../../protocol/messages/28-txn-offset-commit.js'
import { CoordinatorKeyType, findCoordinator } from '../consume/group-member/apis.js'
import type { ClusterTarget } from '../kafka.js'
import { parseBroker } from '../wire/bootstrap.js'
import { WireError, type BrokerAddress, type WireConnection } from '../wire/connection.js'
import { REQUEST_TIMEOUT_MS, RETRY_BACKOFF_MS } from './producer-setup.js'

/** Kafka's transaction.timeout.ms default. */
export const TRANSACTION_TIMEOUT_MS_DEFAULT = 60_000
/** Kafka's max.block.ms: how long one operation (init, add, commit...) keeps retrying. */
const OPERATION_TIMEOUT_MS = 60_000
/**
 * The Java producer's shorter pause for CONCURRENT_TRANSACTIONS: the previous transaction's
 * markers are being written and will be done in a moment; 100 ms each time would slow a run of
 * small transactions down to ten a second.
 */
const CONCURRENT_BACKOFF_MS = 20

/** What the manager needs of a client: its pooled connections (wire/client.ts WireClient). */
export interface TxnClient {
  connections: { get(broker: BrokerAddress): Promise<WireConnection> }
}

/** What a sender needs to write into the open transaction (raw-sender.ts). */
export interface TransactionContext {
  readonly transactionalId: string
  readonly producerId: number
  readonly producerEpoch: number
  /** Adds the partitions not yet in the transaction (AddPartitionsToTxn); resolves once they are in. */
  addPartitions(topic: string, partitions: Iterable<number>): Promise<void>
}

export interface TransactionManagerOptions {
  transactionalId: string
  transactionTimeoutMs: number
  /** Told each request and its answer's error code (the e2e test checks the order). */
  trace?: (api: string, errorCode: number) => void
  operationTimeoutMs?: number
}

/** Codes that make the coordinator be looked up again. */
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE])

export class TransactionManager implements TransactionContext {
  producerId = -1
  producerEpoch = -1
  readonly transactionalId: string
  /** Set by a fatal error: the producer can do nothing more with this id. */
  fatal: SluiceError | undefined
  private coordinator: BrokerAddress | undefined
  /** `topic\0partition` of the partitions in the open transaction. */
  private readonly added = new Set<string>()
  /** Partitions or offsets were added: EndTxn must be sent. */
  private started = false
  private open = false
  /** AddPartitionsToTxn requests one at a time, in the order asked. */
  private adding: Promise<void> = Promise.resolve()
  private readonly operationTimeoutMs: number

  constructor(
    private readonly client: TxnClient,
    private readonly target: ClusterTarget,
    private readonly opts: TransactionManagerOptions,
  ) {
    this.transactionalId = opts.transactionalId
    this.operationTimeoutMs = opts.operationTimeoutMs ?? OPERATION_TIMEOUT_MS
  }

  /** True while a transaction is open (begun, not yet committed or aborted). */
  get inTransaction(): boolean {
    return this.open
  }

  /** FindCoordinator, then InitProducerId: this producer's id and epoch; an older one is fenced. */
  async init(): Promise<void> {
    const answer = await this.toCoordinator('InitProducerId', async (c) => {
      const a = await c.request(initProducerIdApi, { transactionalId: this.transactionalId, transactionTimeoutMs: this.opts.transactionTimeoutMs }, { timeoutMs: REQUEST_TIMEOUT_MS })
      return { code: a.errorCode, value: a }
    })
    this.producerId = Number(answer.producerId)
    this.producerEpoch = answer.producerEpoch
  }

  begin(): void {
    this.throwIfFatal()
    if (this.producerId < 0) throw new Error('TransactionManager.begin before init')
    this.added.clear()
    this.started = false
    this.open = true
  }

  addPartitions(topic: string, partitions: Iterable<number>): Promise<void> {
    const wanted = [...partitions]
    const next = this.adding.then(() => this.addNow(topic, wanted))
    // A failure is the caller's; the next call starts from a settled chain.
    this.adding = next.catch(() => undefined)
    return next
  }

  private async addNow(topic: string, partitions: number[]): Promise<void> {
    this.throwIfFatal()
    const fresh = partitions.filter((p) => !this.added.has(`${topic}\0${p}`))
    if (fresh.length === 0) return
    await this.toCoordinator('AddPartitionsToTxn', async (c) => {
      const a = await c.request(
        addPartitionsToTxnApi,
        {
          v3AndBelowTransactionalId: this.transactionalId,
          v3AndBelowProducerId: this.producerId,
          v3AndBelowProducerEpoch: this.producerEpoch,
          v3AndBelowTopics: [{ name: topic, partitions: fresh }],
        },
        { timeoutMs: REQUEST_TIMEOUT_MS, max: 3 },
      )
      // A partition the answer leaves out was not added: sending to it would be outside the transaction.
      const answered = new Set(a.resultsByTopicV3AndBelow.filter((t) => t.name === topic).flatMap((t) => t.resultsByPartition.map((p) => p.partitionIndex)))
      const missing = fresh.filter((p) => !answered.has(p))
      if (missing.length > 0) {
        throw new SluiceError('KAFKA_ERROR', `transactional id "${this.transactionalId}": AddPartitionsToTxn: the coordinator did not answer for ${topic} partition${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`, { exit: ExitCode.KAFKA })
      }
      // One code for the request: the first partition's error (they share one cause), else NONE.
      const codes = a.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode))
      const failed = codes.find((code) => code !== ErrorCode.NONE && code !== ErrorCode.OPERATION_NOT_ATTEMPTED)
      return { code: failed ?? codes.find((code) => code !== ErrorCode.NONE) ?? ErrorCode.NONE, value: undefined }
    })
    for (const p of fresh) this.added.add(`${topic}\0${p}`)
    this.started = true
  }

  /**
   * Commits `groupId`'s offsets in the open transaction (not as a group member: generation -1):
   * they take effect when the transaction commits, and are dropped if it aborts.
   */
  async sendOffsets(groupId: string, topic: string, offsets: { partition: number; offset: number; metadata?: string }[]): Promise<void> {
    this.throwIfFatal()
    await this.toCoordinator('AddOffsetsToTxn', async (c) => {
      const a = await c.request(addOffsetsToTxnApi, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId }, { timeoutMs: REQUEST_TIMEOUT_MS, max: 3 })
      return { code: a.errorCode, value: undefined }
    })
    this.started = true
    let groupCoordinator: BrokerAddress | undefined
    await this.retrying('TxnOffsetCommit', async (attempt) => {
      groupCoordinator ??= await this.find(groupId, CoordinatorKeyType.GROUP, attempt)
      const c = await this.client.connections.get(groupCoordinator)
      const a = await c.request(
        txnOffsetCommitApi,
        {
          transactionalId: this.transactionalId,
          groupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: topic, partitions: offsets.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' })) }],
        },
        { timeoutMs: REQUEST_TIMEOUT_MS, max: 3 },
      )
      const code = a.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((e) => e !== ErrorCode.NONE) ?? ErrorCode.NONE
      if (COORDINATOR_MOVED.has(code) || code === ErrorCode.REQUEST_TIMED_OUT) groupCoordinator = undefined
      return { code, value: undefined }
    }, () => (groupCoordinator = undefined))
  }

  /** EndTxn commit: every batch of the transaction must be acknowledged before this is called. */
  commit(): Promise<void> {
    return this.end(true)
  }

  /** EndTxn abort (nothing to do when nothing was added, or when the producer is fenced). */
  abort(): Promise<void> {
    if (this.fatal !== undefined) {
      this.open = false
      return Promise.resolve()
    }
    return this.end(false)
  }

  private async end(committed: boolean): Promise<void> {
    this.throwIfFatal()
    if (this.started) {
      await this.toCoordinator(committed ? 'EndTxn(commit)' : 'EndTxn(abort)', async (c) => {
        const a = await c.request(endTxnApi, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed }, { timeoutMs: REQUEST_TIMEOUT_MS, max: 3 })
        return { code: a.errorCode, value: undefined }
      })
    }
    this.open = false
    this.started = false
    this.added.clear()
  }

  /** A request to the transaction coordinator, found (again) as needed, retried as Kafka's client retries it. */
  private toCoordinator<T>(api: string, send: (c: WireConnection) => Promise<{ code: number; value: T }>): Promise<T> {
    return this.retrying(api, async (attempt) => {
      this.coordinator ??= await this.find(this.transactionalId, CoordinatorKeyType.TRANSACTION, attempt)
      const answer = await send(await this.client.connections.get(this.coordinator))
      if (COORDINATOR_MOVED.has(answer.code)) this.coordinator = undefined
      return answer
    })
  }

  /**
   * Runs `attempt` until it answers NONE, a fatal code, or the operation's time is up. A lost
   * connection forgets the coordinators (the next attempt finds them again).
   */
  private async retrying<T>(api: string, attempt: (n: number) => Promise<{ code: number; value: T }>, onLost?: () => void): Promise<T> {
    const deadline = performance.now() + this.operationTimeoutMs
    let last = ''
    for (let n = 0; ; n++) {
      let pauseMs = RETRY_BACKOFF_MS
      try {
        const { code, value } = await attempt(n)
        this.opts.trace?.(api, code)
        if (code === ErrorCode.NONE) return value
        if (!isRetriable(code) && !COORDINATOR_MOVED.has(code)) throw this.fail(api, code)
        if (code === ErrorCode.CONCURRENT_TRANSACTIONS) pauseMs = CONCURRENT_BACKOFF_MS
        last = errorName(code)
      } catch (err) {
        if (!(err instanceof WireError) || err.code === 'UNSUPPORTED_VERSION') throw err
        this.coordinator = undefined
        onLost?.()
        last = err.message
      }
      if (performance.now() + pauseMs > deadline) {
        throw new SluiceError('KAFKA_ERROR', `transactional id "${this.transactionalId}": ${api} did not succeed within ${this.operationTimeoutMs / 1000} s (last: ${last})`, {
          exit: ExitCode.KAFKA,
          retriable: true,
        })
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }

  /** The coordinator of `key`, asked of a bootstrap broker (another on each attempt). */
  private async find(key: string, keyType: number, attempt: number): Promise<BrokerAddress> {
    const brokers = this.target.bootstrapBrokers
    const c = await this.client.connections.get(parseBroker(brokers[attempt % brokers.length]!))
    const found = await findCoordinator(c, key, keyType)
    this.opts.trace?.(keyType === CoordinatorKeyType.TRANSACTION ? 'FindCoordinator(transaction)' : 'FindCoordinator(group)', found.errorCode)
    if (found.errorCode !== ErrorCode.NONE) {
      if (isRetriable(found.errorCode)) throw new WireError('COORDINATOR_NOT_AVAILABLE', `no coordinator for ${key} yet (${errorName(found.errorCode)})`)
      throw this.fail('FindCoordinator', found.errorCode)
    }
    return { host: found.host, port: found.port }
  }

  /** A fatal error: remembered, so that every later call fails the same way. */
  private fail(api: string, code: number): SluiceError {
    const why = FATAL_REASONS.get(code) ?? `the coordinator answered ${errorName(code)}`
    const error = new SluiceError('KAFKA_ERROR', `transactional id "${this.transactionalId}": ${api} failed: ${why}`, { exit: ExitCode.KAFKA })
    ;(error as { apiCode?: number }).apiCode = code
    if (FATAL_CODES.has(code)) this.fatal = error
    return error
  }

  private throwIfFatal(): void {
    if (this.fatal !== undefined) throw this.fatal
  }
}

/** After these the producer can do nothing more under this transactional id (Kafka's fatal errors). */
const FATAL_CODES = new Set<number>([
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_TXN_STATE,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.INVALID_TRANSACTION_TIMEOUT,
])

const FENCED = 'the producer was fenced (PRODUCER_FENCED): another producer started with the same transactional id, or the coordinator aborted this transaction when it outlived transaction.timeout.ms'
const FATAL_REASONS = new Map<number, string>([
  [ErrorCode.PRODUCER_FENCED, FENCED],
  [ErrorCode.INVALID_PRODUCER_EPOCH, FENCED.replace('(PRODUCER_FENCED)', '(INVALID_PRODUCER_EPOCH)')],
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'the cluster does not allow this transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)'],
  [ErrorCode.INVALID_TXN_STATE, 'the coordinator holds the transaction in another state (INVALID_TXN_STATE)'],
  [ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'the coordinator no longer knows this producer (INVALID_PRODUCER_ID_MAPPING)'],
  [ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'the transaction timeout is above the cluster\'s transaction.max.timeout.ms (INVALID_TRANSACTION_TIMEOUT)'],
])

/**
 * The error for a fatal code answered to a send (Produce answers INVALID_PRODUCER_EPOCH to a fenced
 * producer), naming the transactional id as the coordinator's answers do; undefined for other codes.
 */
export function fatalSendError(transactionalId: string, code: number | undefined, cause: unknown): SluiceError | undefined {
  if (code === undefined || !FATAL_CODES.has(code)) return undefined
  return new SluiceError('KAFKA_ERROR', `transactional id "${transactionalId}": a send failed: ${FATAL_REASONS.get(code)!}`, { exit: ExitCode.KAFKA, cause })
}
