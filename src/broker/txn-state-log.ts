/**
 * `__transaction_state`, the log of the transaction coordinators (Kafka's TransactionLog): an
 * internal topic, compacted, one record per state change of a transactional id, key
 * `{"t": id}` and value the id's TxnMetadata as JSON (only sluice reads it), null for a forgotten
 * id. Created on first use with the `transaction.state.log.*` configs; written with acks=all;
 * read whole by a coordinator that becomes a partition's leader.
 */
import type { PartitionInfo } from '../cluster/metadata.js'
import type { TxnMetadata } from '../cluster/txn-state.js'
import { parseBatches } from '../protocol/batch-layout.js'
import { ErrorCode } from '../protocol/errors.js'
import { decodeRecordBatches, encodeRecordBatch } from '../protocol/record-batch.js'
import { LOG_PASS_READ_BYTES, type PartitionLog } from '../storage/types.js'
import type { ClusterView } from './cluster-view.js'
import { ensureInternalTopic } from './internal-topics.js'
import type { ReplicaManager } from './replica-manager.js'

export const TXN_STATE_TOPIC = '__transaction_state'
const WRITE_TIMEOUT_MS = 5_000

/** Creates __transaction_state on first use, as Kafka does; false when it could not be. */
export function ensureTxnStateTopic(cluster: ClusterView): Promise<boolean> {
  return ensureInternalTopic(cluster, TXN_STATE_TOPIC, {
    partitions: 'transaction.state.log.num.partitions',
    replicationFactor: 'transaction.state.log.replication.factor',
    minIsr: 'transaction.state.log.min.isr',
  })
}

/** How a write error of __transaction_state is told to clients, as Kafka maps them. */
function coordinatorError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.LEADER_NOT_AVAILABLE:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR
    default:
      return errorCode
  }
}

/** Appends one id's state (null: a tombstone) with acks=all; the error as the coordinator answers it. */
export async function appendTxnState(replicas: ReplicaManager, p: PartitionInfo, transactionalId: string, meta: TxnMetadata | null, nowMs: number): Promise<number> {
  const batch = encodeRecordBatch({
    baseTimestamp: nowMs,
    records: [{ key: JSON.stringify({ t: transactionalId }), value: meta === null ? null : JSON.stringify(meta) }],
  })
  const result = await replicas.append(TXN_STATE_TOPIC, p, parseBatches(batch), -1, WRITE_TIMEOUT_MS)
  return coordinatorError(result.errorCode)
}

/** Every transactional id's last state in a partition's log, in the order they were last written. */
export async function readTxnStates(log: PartitionLog): Promise<Map<string, TxnMetadata>> {
  const out = new Map<string, TxnMetadata>()
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const batches = await log.read(offset, LOG_PASS_READ_BYTES, log.logEndOffset)
    if (batches.length === 0) break
    for (const b of batches) {
      for (const { records } of decodeRecordBatches(b)) {
        for (const r of records) {
          if (r.offset < offset || !r.key) continue
          offset = r.offset + 1
          const key = JSON.parse(r.key.toString()) as { t: string }
          out.delete(key.t)
          if (r.value !== null) out.set(key.t, JSON.parse(r.value.toString()) as TxnMetadata)
        }
      }
    }
  }
  return out
}
