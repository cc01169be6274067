/**
 * Transaction markers on the partition leaders (Kafka's WriteTxnMarkers, KIP-98): the transaction
 * coordinator asks each leader of a transaction's partitions to append a COMMIT or ABORT control
 * batch for the producer. Per partition, as Kafka answers:
 * - UNKNOWN_TOPIC_OR_PARTITION when the topic or partition does not exist;
 * - NOT_LEADER_OR_FOLLOWER when this broker does not lead it (the coordinator retries elsewhere);
 * - TRANSACTION_COORDINATOR_FENCED when the marker's coordinator epoch is older than the last one
 *   this partition saw for the producer (a deposed coordinator's marker);
 * - INVALID_PRODUCER_EPOCH when the producer's epoch here is newer than the marker's;
 * - otherwise the marker is appended through the same leader path as produced batches (followers
 *   replicate it, producer state records it), and answered once the ISR has it (acks=all,
 *   min.insync.replicas): NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT... as for a produce.
 * A marker for a producer the partition never saw is written too: the transaction may have
 * written nothing here before its partition was added.
 *
 * Brokers send markers to each other through BrokerLink.writeTxnMarkers (a direct call in the
 * daemon, the simulated network in the seeded simulation); handler 27 serves the same function
 * over the wire.
 */
import { ErrorCode } from '../protocol/errors.js'
import type { Broker } from './broker.js'

/** One producer's marker, for some partitions of some topics (one WriteTxnMarkers entry). */
export interface TxnMarkerSpec {
  producerId: number
  producerEpoch: number
  /** COMMIT when true, ABORT when false. */
  committed: boolean
  coordinatorEpoch: number
  topics: { name: string; partitions: number[] }[]
}

/** The outcome of one marker, per partition. */
export interface TxnMarkerOutcome {
  producerId: number
  topics: { name: string; partitions: { partition: number; errorCode: number }[] }[]
}

/**
 * How long a leader waits for its ISR to have a marker sent over a broker link before answering
 * REQUEST_TIMED_OUT (Kafka appends markers with request.timeout.ms, 30 s by default).
 */
export const TXN_MARKER_TIMEOUT_MS = 30_000

/** Appends the markers on `broker`'s leaders, all partitions at once; resolves when each has its answer. */
export async function writeTxnMarkers(broker: Broker, markers: TxnMarkerSpec[], timeoutMs: number): Promise<TxnMarkerOutcome[]> {
  if (!broker.running) {
    return markers.map((m) => everyPartition(m, ErrorCode.NOT_LEADER_OR_FOLLOWER))
  }
  const replicas = broker.replicas
  return Promise.all(
    markers.map(async (m): Promise<TxnMarkerOutcome> => ({
      producerId: m.producerId,
      topics: await Promise.all(
        m.topics.map(async (t) => ({
          name: t.name,
          partitions: await Promise.all(
            t.partitions.map(async (partition) => {
              const p = broker.cluster.image.topicsByName.get(t.name)?.partitions[partition]
              if (!p) return { partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
              const errorCode = await replicas.appendTxnMarker(t.name, p, m, timeoutMs)
              return { partition, errorCode }
            }),
          ),
        })),
      ),
    })),
  )
}

function everyPartition(m: TxnMarkerSpec, errorCode: number): TxnMarkerOutcome {
  return { producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((partition) => ({ partition, errorCode })) })) }
}
