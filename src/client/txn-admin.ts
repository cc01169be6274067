/**
 * Transactions as the cluster's coordinators see them (KIP-664), for `sluice txn list` and
 * `sluice txn describe`, on sluice's own wire client, so they work against the local daemon and
 * any Kafka cluster (3.0+) alike, as `kafka-transactions.sh list` and `describe` do:
 *
 *   list:      ListTransactions to every broker (each answers for the transactional ids it
 *              coordinates), then DescribeTransactions to the same broker for their details.
 *   describe:  FindCoordinator (key type 1, the transactional id) then DescribeTransactions.
 *
 * A transaction is hung when it has been open (Ongoing, or stuck completing in a Prepare state)
 * longer than its timeout: the coordinator should have aborted it by then, and until it ends it
 * holds back the last stable offset of every partition it wrote, so read_committed consumers of
 * those partitions wait. Its age is measured against this machine's clock (the start time is the
 * coordinator's).
 */
import { SluiceError } from '../common/errors.js'
import { ErrorCode, errorName, isRetriable } from '../protocol/errors.js'
import { describeTransactionsApi, type DescribeTransactionsResponse } from '../protocol/messages/65-describe-transactions.js'
import { listTransactionsApi } from '../protocol/messages/66-list-transactions.js'
import { findCoordinatorApi } from '../protocol/messages/10-find-coordinator.js'
import { CoordinatorKeyType } from './consume/group-member/apis.js'
import { toClusterError, type ClusterTarget } from './kafka.js'
import { KafkaAnswerError, WireClient } from './wire/client.js'
import { WireError, type BrokerAddress } from './wire/connection.js'

/** Kafka's transaction states, as DescribeTransactions and ListTransactions spell them. */
export const TXN_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const
/** States of a transaction not yet ended: its partitions' LSO waits for it. */
export const OPEN_TXN_STATES: readonly string[] = ['Ongoing', 'PrepareCommit', 'PrepareAbort', 'PrepareEpochFence']
const OPEN_STATES = new Set(OPEN_TXN_STATES)

export interface TransactionInfo {
  transactionalId: string
  state: string
  producerId: number
  producerEpoch: number
  timeoutMs: number
  /** When the open transaction started (the coordinator's clock); null when none is open. */
  startTimeMs: number | null
  /** How long it has been open; null when none is open. */
  ageMs: number | null
  /** Open longer than its timeout. */
  hung: boolean
  /** The broker that coordinates it. */
  coordinator: number
  partitions: { topic: string; partitions: number[] }[]
}

/** How many partitions a transaction has written to. */
export function partitionCount(t: TransactionInfo): number {
  return t.partitions.reduce((n, p) => n + p.partitions.length, 0)
}

const REQUEST_TIMEOUT_MS = 10_000
const DESCRIBE_ATTEMPTS = 10
const RETRY_MS = 200

/** A state name in Kafka's spelling (`ongoing` -> `Ongoing`); a usage error names the states. */
export function parseTxnState(text: string): string {
  const found = TXN_STATES.find((s) => s.toLowerCase() === text.trim().toLowerCase())
  if (found === undefined) throw new SluiceError('USAGE', `--state "${text}": a transaction state is one of ${TXN_STATES.join(', ')}`)
  return found
}

type DescribedState = DescribeTransactionsResponse['transactionStates'][number]

function info(s: DescribedState, coordinator: number, nowMs: number): TransactionInfo {
  const open = OPEN_STATES.has(s.transactionState) && s.transactionStartTimeMs >= 0
  const ageMs = open ? Math.max(0, nowMs - s.transactionStartTimeMs) : null
  return {
    transactionalId: s.transactionalId,
    state: s.transactionState,
    producerId: s.producerId,
    producerEpoch: s.producerEpoch,
    timeoutMs: s.transactionTimeoutMs,
    startTimeMs: open ? s.transactionStartTimeMs : null,
    ageMs,
    hung: ageMs !== null && ageMs > s.transactionTimeoutMs,
    coordinator,
    partitions: s.topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((a, b) => a - b) })),
  }
}

/** A retriable error code in an answer is thrown for WireClient to retry; others are the caller's. */
function retryIf(code: number, what: string): void {
  if (code !== ErrorCode.NONE && isRetriable(code)) throw new KafkaAnswerError(code, `${what}: ${errorName(code)}`)
}

export class TxnAdmin {
  constructor(
    private readonly target: ClusterTarget,
    private readonly client: WireClient,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Every transactional id the coordinators know, optionally only in `states`, with details. */
  async list(opts: { states?: string[] } = {}): Promise<TransactionInfo[]> {
    const what = 'listing the transactions'
    return this.guard(what, async () => {
      const md = await this.client.metadata({ topics: [], forceUpdate: true })
      const perBroker = await Promise.all(
        [...md.brokers].map(async ([id, broker]) => {
          const answer = await this.client.request(broker, listTransactionsApi, { stateFilters: opts.states ?? [], producerIdFilters: [], durationFilter: -1 }, {
            timeoutMs: REQUEST_TIMEOUT_MS,
            check: (a) => {
              retryIf(a.errorCode, `${what} on broker ${id}`)
              return a
            },
          })
          if (answer.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(answer.errorCode, `${what} on broker ${id}: ${errorName(answer.errorCode)}`)
          const ids = answer.transactionStates.map((t) => t.transactionalId)
          return ids.length === 0 ? [] : this.describeOn(id, broker, ids)
        }),
      )
      return perBroker.flat().sort((a, b) => a.transactionalId.localeCompare(b.transactionalId))
    })
  }

  /** One transactional id, from its coordinator; NOT_FOUND when no coordinator knows it. */
  async describe(transactionalId: string): Promise<TransactionInfo> {
    return this.guard(`describing transaction "${transactionalId}"`, async () => {
      // The coordinator moves (a broker fails over): look it up again while it answers NOT_COORDINATOR or loads.
      for (let attempt = 1; ; attempt++) {
        const coordinator = await this.coordinatorOf(transactionalId)
        try {
          const [found] = await this.describeOn(coordinator.nodeId, coordinator, [transactionalId])
          if (found === undefined) throw new SluiceError('NOT_FOUND', `transactional id "${transactionalId}" does not exist`)
          return found
        } catch (err) {
          if (!(err instanceof KafkaAnswerError && isRetriable(err.apiCode)) || attempt >= DESCRIBE_ATTEMPTS) throw err
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
        }
      }
    })
  }

  /**
   * DescribeTransactions to the broker that listed the ids. An id whose coordinator moved since
   * (NOT_COORDINATOR...) is asked of its new coordinator; one that ended and expired meanwhile
   * (TRANSACTIONAL_ID_NOT_FOUND) is left out.
   */
  private async describeOn(id: number, broker: BrokerAddress, ids: string[]): Promise<TransactionInfo[]> {
    const answer = await this.client.request(broker, describeTransactionsApi, { transactionalIds: ids }, { timeoutMs: REQUEST_TIMEOUT_MS })
    const nowMs = this.nowMs()
    const out: TransactionInfo[] = []
    const moved: string[] = []
    for (const s of answer.transactionStates) {
      if (s.errorCode === ErrorCode.NONE) out.push(info(s, id, nowMs))
      else if (s.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) continue
      else if (isRetriable(s.errorCode) && ids.length > 1) moved.push(s.transactionalId)
      else throw new KafkaAnswerError(s.errorCode, `describing transaction "${s.transactionalId}" on broker ${id}: ${errorName(s.errorCode)}`)
    }
    for (const txnId of moved) {
      const found = await this.describe(txnId).catch((err: unknown) => {
        if (err instanceof SluiceError && err.code === 'NOT_FOUND') return undefined
        throw err
      })
      if (found !== undefined) out.push(found)
    }
    return out
  }

  private async coordinatorOf(transactionalId: string): Promise<BrokerAddress & { nodeId: number }> {
    return this.client.request(
      null,
      findCoordinatorApi,
      { key: transactionalId, keyType: CoordinatorKeyType.TRANSACTION, coordinatorKeys: [transactionalId] },
      {
        timeoutMs: REQUEST_TIMEOUT_MS,
        check: (a) => {
          const c = a.coordinators[0] ?? { errorCode: a.errorCode, nodeId: a.nodeId, host: a.host, port: a.port }
          const what = `finding the coordinator of transaction "${transactionalId}"`
          retryIf(c.errorCode, what)
          if (c.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(c.errorCode, `${what}: ${errorName(c.errorCode)}`)
          return { nodeId: c.nodeId, host: c.host, port: c.port }
        },
      },
    )
  }

  /** Errors as sluice's: a cluster that does not serve these APIs says so. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof WireError && err.code === 'UNSUPPORTED_VERSION') {
        throw new SluiceError('KAFKA_ERROR', `${what}: ${err.message} (transactions are listed and described by Kafka 3.0 and later)`, { cause: err })
      }
      throw toClusterError(err, this.target, what)
    }
  }
}

/** Runs `fn` with a TxnAdmin, closing its connections after. */
export async function withTxnAdmin<T>(target: ClusterTarget, fn: (admin: TxnAdmin) => Promise<T>): Promise<T> {
  const client = new WireClient(target, 'sluice-txn')
  try {
    return await fn(new TxnAdmin(target, client))
  } finally {
    client.close()
  }
}
