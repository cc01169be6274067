/**
 * Transaction verification (KIP-890 part 1, on by default since Kafka 3.6:
 * `transaction.partition.verification.enable`): before a producer's first transactional batch at
 * a partition (no transaction of it open there), the leader asks the transaction coordinator
 * whether the partition is in the producer's ongoing transaction (AddPartitionsToTxn v4 with
 * verifyOnly, broker to broker), and appends only if it is. A batch that arrives late, after its
 * transaction ended, or one a client sent after a coordinator that did not know better answered
 * it (a coordinator cut off from the controller, its image stale: sim seed 25), would otherwise
 * open a transaction no coordinator knows, or join the next one, whose marker would end it.
 *
 * The coordinator's answer becomes the produce error Kafka's ReplicaManager gives: PRODUCER_FENCED
 * as INVALID_PRODUCER_EPOCH; TRANSACTION_ABORTABLE (the partition is not in the transaction) as
 * INVALID_TXN_STATE below Produce v11 (clients before KIP-890 part 2 know no other); the retriable
 * ones (CONCURRENT_TRANSACTIONS: the previous transaction's markers are still going out, the
 * coordinator loading or moved, or not reachable) as NOT_ENOUGH_REPLICAS, which every client
 * retries without a metadata refresh.
 *
 * A verification holds only while the producer's transaction state at the partition stays as it
 * was (Kafka's VerificationGuard): a marker of the producer that lands meanwhile, or a rebuilt
 * producer state, makes the append wait for the client's retry (NOT_ENOUGH_REPLICAS), which is
 * verified again.
 */
import { coordinatorPartitionFor } from '../cluster/coordinator-placement.js'
import { brokerConfig } from '../cluster/configs.js'
import type { PartitionInfo } from '../cluster/metadata.js'
import type { TxnPartition } from '../cluster/txn-state.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import type { Broker } from './broker.js'
import { TXN_STATE_TOPIC } from './txn-state-log.js'

/** A verification request, as AddPartitionsToTxn v4's verifyOnly transaction carries it. */
export interface TxnVerifyRequest {
  transactionalId: string
  producerId: number
  producerEpoch: number
  partitions: TxnPartition[]
}

/** The coordinator's answer: one error for all, or a code per partition in the order asked. */
export type TxnVerifyAnswer = { errorCode: number } | { codes: number[] }

/** What the leader answers the producer, when the batch may not be appended. */
export interface VerifyRefusal {
  errorCode: number
  message: string
}

/** Whether the brokers verify transactional batches (a dynamic broker config, true by default as in Kafka 3.6+). */
export function verificationEnabled(broker: Broker): boolean {
  return brokerConfig(broker.cluster.image, 'transaction.partition.verification.enable') === 'true'
}

/** The coordinator side: answered from this broker's coordinator, NOT_COORDINATOR when it runs none. */
export function answerVerification(broker: Broker, req: TxnVerifyRequest): TxnVerifyAnswer {
  if (!broker.running) return { errorCode: ErrorCode.NOT_COORDINATOR }
  const codes = broker.txns.verifyPartitions(req.transactionalId, req.producerId, req.producerEpoch, req.partitions)
  return { codes }
}

/**
 * The leader side: asks the coordinator of `transactionalId` (the leader of its
 * `__transaction_state` partition in this broker's image; this broker itself, or over the link),
 * and returns null when the partition is in the transaction, else the refusal to answer.
 */
export async function verifyTransaction(broker: Broker, req: TxnVerifyRequest, produceVersion: number): Promise<VerifyRefusal | null> {
  let code: number
  try {
    code = codeOf(await askCoordinator(broker, req))
  } catch {
    code = ErrorCode.NETWORK_EXCEPTION
  }
  return refusal(code, produceVersion)
}

async function askCoordinator(broker: Broker, req: TxnVerifyRequest): Promise<TxnVerifyAnswer> {
  const image = broker.cluster.image
  const txnTopic = image.topicsByName.get(TXN_STATE_TOPIC)
  if (!txnTopic) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
  const leader = txnTopic.partitions[coordinatorPartitionFor(req.transactionalId, txnTopic.partitions.length)]?.leader ?? -1
  if (leader < 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
  if (leader === broker.id) return answerVerification(broker, req)
  return broker.link.verifyTxnPartitions(broker.id, leader, req)
}

/** The one partition's code in an answer. */
function codeOf(answer: TxnVerifyAnswer): number {
  return 'errorCode' in answer ? answer.errorCode : (answer.codes[0] ?? ErrorCode.UNKNOWN_SERVER_ERROR)
}

/** Kafka's translation of a coordinator's verdict into a produce error (null: verified). */
export function refusal(code: number, produceVersion: number): VerifyRefusal | null {
  switch (code) {
    case ErrorCode.NONE:
      return null
    case ErrorCode.PRODUCER_FENCED:
      return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: 'the producer was fenced by a newer epoch at its transaction coordinator' }
    case ErrorCode.TRANSACTION_ABORTABLE:
    case ErrorCode.INVALID_TXN_STATE:
      return {
        errorCode: code === ErrorCode.TRANSACTION_ABORTABLE && produceVersion >= 11 ? ErrorCode.TRANSACTION_ABORTABLE : ErrorCode.INVALID_TXN_STATE,
        message: 'Partition was not added to the transaction',
      }
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return { errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, message: `Unable to verify the partition has been added to the transaction. Underlying error: ${errorName(code)}` }
    default:
      return { errorCode: code, message: `transaction verification failed: ${errorName(code)}` }
  }
}

/** Per broker, the last verification in flight per producer and partition: later batches queue behind it. */
const inFlight = new WeakMap<Broker, Map<string, Promise<void>>>()

/**
 * Appends a producer's transactional batch (`append` issues it synchronously and resolves once
 * answered), verifying first when no transaction of the producer is open at the partition. The
 * producer's later batches to the partition wait for the verification before them, so they are
 * appended in the order they came (then they find the transaction open, and go at once).
 * `refuse` answers the batch when it may not be appended.
 */
export function appendVerified(broker: Broker, p: PartitionInfo, req: TxnVerifyRequest, produceVersion: number, append: () => Promise<void>, refuse: (r: VerifyRefusal) => void): Promise<void> {
  const key = `${p.topicId}:${p.partition}:${req.producerId}`
  let queue = inFlight.get(broker)
  if (!queue) inFlight.set(broker, (queue = new Map()))
  const before = queue.get(key)
  // The common case: the transaction is open here and nothing waits: no verification, no await.
  if (!before && broker.replicas.txnVerificationGuard(p, req.producerId) === null) return append()
  let release = (): void => undefined
  const turn = new Promise<void>((resolve) => (release = resolve))
  queue.set(key, turn)
  const run = async (): Promise<void> => {
    await before
    const gone = (): boolean => !broker.running
    const notLeader = { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: `broker ${broker.id} stopped` }
    if (gone()) return refuse(notLeader)
    let guard = broker.replicas.txnVerificationGuard(p, req.producerId)
    // Led here, its log still opening (just elected): verified once it is ready, not waved through.
    if (guard === undefined && p.leader === broker.id) {
      await broker.replicas.settled(p)
      if (gone()) return refuse(notLeader)
      guard = broker.replicas.txnVerificationGuard(p, req.producerId)
    }
    // Open by now (a batch before it), or not led here (the append answers why).
    if (guard === null || guard === undefined) return append()
    const refused = await verifyTransaction(broker, req, produceVersion)
    if (refused) return refuse(refused)
    if (gone()) return refuse(notLeader)
    const now = broker.replicas.txnVerificationGuard(p, req.producerId)
    if (now !== guard && now !== null) {
      return refuse({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, message: 'the transaction state of the partition changed while the batch was verified; retry' })
    }
    const answered = append()
    release()
    return answered
  }
  return run().finally(() => {
    release()
    if (queue.get(key) === turn) queue.delete(key)
  })
}
