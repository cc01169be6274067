/**
 * Produce (key 0), versions 0-11 advertised; from v3 on, batches must be RecordBatch v2 (magic 2).
 * v0-2 may carry the old message formats (magic 0/1): each partition's message set is converted
 * to one v2 batch before validation and append, as Kafka's LogValidator does (v0 has no
 * timestamps: NO_TIMESTAMP; a topic whose message.timestamp.type is LogAppendTime gets the
 * broker's time, answered in logAppendTimeMs); the codecs (compression.ts) are loaded on the first
 * snappy or lz4 one, and every Produce waits for that load so that order holds.
 * Each partition's records are validated (sizes, counts, CRC-32C) and stored as sent, with the base
 * offset and partition leader epoch stamped in place. acks 0, 1 and -1 (all): acks=all answers once
 * every ISR member has the batch, NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas
 * (nothing appended), NOT_ENOUGH_REPLICAS_AFTER_APPEND when it shrank below while waiting,
 * REQUEST_TIMED_OUT after the request's timeout, KAFKA_STORAGE_ERROR (with a message naming the
 * broker) when the broker's log dir is offline (a full disk) or the append's write failed. acks=0 gets no response at all. Appends are issued in arrival order before any await, so pipelined requests on
 * one connection keep their order in the log.
 * Transactional batches (KIP-98) are stored as sent: they need the request's transactional id
 * (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and a producer id, epoch and sequence (else
 * INVALID_RECORD); producer state opens the producer's transaction (see producer-state.ts for
 * INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE). A producer's first transactional batch at a
 * partition is verified with its transaction coordinator first (KIP-890 part 1,
 * txn-verification.ts: INVALID_TXN_STATE, or v11's TRANSACTION_ABORTABLE, when the partition is
 * not in its transaction; NOT_ENOUGH_REPLICAS while that cannot be known yet).
 * v10+ (KIP-951): a partition answered NOT_LEADER_OR_FOLLOWER names its current leader and epoch,
 * and the response carries those leaders' endpoints.
 * A topic whose cleanup.policy includes compact refuses a batch with records without a key:
 * INVALID_RECORD, each such record in recordErrors (v8+), as Kafka's LogValidator; the records of
 * a compressed batch are not inspected (the broker stores batches without decompressing them).
 * Not implemented: LogAppendTime for v2 batches (only converted message sets get it).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { validateProducedRecords, type RecordError } from '../../protocol/produce-validation.js'
import { TimestampType, type BatchHeader } from '../../protocol/batch-layout.js'
import { compressionLoaded, compressionLoading, loadCompression } from '../../protocol/compression.js'
import { legacyCodecToLoad } from '../../protocol/message-format-conversion.js'
import { produceApi, type ProduceRequest, type ProduceResponseInput } from '../../protocol/messages/00-produce.js'
import { defineHandler, type HandlerResponse, type RequestContext } from '../handler.js'
import { appendVerified, verificationEnabled, type VerifyRefusal } from '../txn-verification.js'

type PartitionResponse = ProduceResponseInput['responses'][number]['partitionResponses'][number]

function partitionError(index: number, errorCode: number, errorMessage: string | null = null, recordErrors: readonly RecordError[] = []): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })),
    errorMessage,
  }
}

/**
 * A transactional batch comes with the request's transactional id (Kafka refuses it otherwise, as
 * an authorization failure) and carries a producer id, epoch and sequence.
 */
function transactionalFault(batches: readonly BatchHeader[], transactionalId: string | null): { errorCode: number; message: string } | null {
  for (const b of batches) {
    if (!b.isTransactional) continue
    if (transactionalId === null) {
      return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: 'a transactional batch needs the transactional id of its producer' }
    }
    if (b.producerId < 0 || b.producerEpoch < 0 || b.baseSequence < 0) {
      return {
        errorCode: ErrorCode.INVALID_RECORD,
        message: `a transactional batch needs a producer id, epoch and sequence (got ${b.producerId}, ${b.producerEpoch}, ${b.baseSequence})`,
      }
    }
  }
  return null
}

/**
 * Whether a request waits for the codecs first: it holds an old-format message set compressed with
 * snappy or lz4 (converted here, so decompressed), or a load is under way, which every Produce
 * then waits for, so that the requests of one connection keep their order in the log.
 */
function mustLoadCodecs(version: number, req: ProduceRequest): boolean {
  if (compressionLoaded()) return false
  if (compressionLoading()) return true
  return version < 3 && req.topicData.some((t) => t.partitionData.some((pd) => legacyCodecToLoad(pd.records) !== undefined))
}

async function handle(ctx: RequestContext, req: ProduceRequest): Promise<HandlerResponse<typeof produceApi>> {
  const { broker } = ctx
  const image = broker.cluster.image
  const acks = req.acks
  const pending: Promise<unknown>[] = []
  if (mustLoadCodecs(ctx.apiVersion, req)) await loadCompression()

  const responses = req.topicData.map((topicData) => {
    const topic = image.topicsByName.get(topicData.name)
    const partitionResponses = topicData.partitionData.map((pd): PartitionResponse => {
      if (acks !== 0 && acks !== 1 && acks !== -1) return partitionError(pd.index, ErrorCode.INVALID_REQUIRED_ACKS)
      const p = topic?.partitions[pd.index]
      if (!topic || !p) return partitionError(pd.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      // A replica in an offline log dir answers KAFKA_STORAGE_ERROR whatever its role, as in Kafka.
      const offline = broker.offlineReplicaMessage(p.replicas)
      if (offline !== null) return partitionError(pd.index, ErrorCode.KAFKA_STORAGE_ERROR, offline)
      if (p.leader !== broker.id || !broker.running) return partitionError(pd.index, ErrorCode.NOT_LEADER_OR_FOLLOWER)
      const logAppendTimeMs = ctx.apiVersion < 3 && broker.topicConfig(topic.name, 'message.timestamp.type') === 'LogAppendTime' ? broker.scheduler.nowMs() : null
      const validated = validateProducedRecords(pd.records, {
        produceVersion: ctx.apiVersion,
        requireKeys: broker.topicConfig(topic.name, 'cleanup.policy').split(',').some((policy) => policy.trim() === 'compact'),
        topicPartition: `${topic.name}-${pd.index}`,
        logAppendTimeMs,
      })
      if (!validated.ok) return partitionError(pd.index, validated.errorCode, validated.message, validated.recordErrors)
      const transactional = transactionalFault(validated.batches, req.transactionalId)
      if (transactional) return partitionError(pd.index, transactional.errorCode, transactional.message)
      const maxBytes = Number(broker.topicConfig(topic.name, 'max.message.bytes'))
      for (const batch of validated.batches) {
        const size = batch.sizeBytes
        if (size > maxBytes) {
          return partitionError(
            pd.index,
            ErrorCode.MESSAGE_TOO_LARGE,
            `the record batch is ${size} bytes, larger than max.message.bytes (${maxBytes}) of topic ${topic.name}`,
          )
        }
      }

      const response = partitionError(pd.index, ErrorCode.NONE)
      // Only a converted message set can be LogAppendTime here: producers' v2 batches are refused it.
      if (logAppendTimeMs !== null && validated.batches[0]?.timestampType === TimestampType.LOG_APPEND_TIME) response.logAppendTimeMs = logAppendTimeMs
      // The headers validated here are the ones producer state and the log use: read once.
      const records = { bytes: validated.bytes, batches: validated.batches }
      const append = (): Promise<void> =>
        broker.replicas.append(topic.name, p, records, acks, req.timeoutMs).then((result) => {
          response.errorCode = result.errorCode
          response.errorMessage = result.errorMessage
          // The write failed and took the log dir offline: say which broker and why.
          if (result.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) response.errorMessage = broker.offlineReplicaMessage(p.replicas) ?? result.errorMessage
          response.baseOffset = result.baseOffset
          response.logStartOffset = result.logStartOffset
          if (result.errorCode === ErrorCode.NONE) broker.produced(topic.name, p.partition)
        })
      const first = validated.batches[0]
      if (first?.isTransactional && req.transactionalId !== null && verificationEnabled(broker)) {
        const verify = { transactionalId: req.transactionalId, producerId: first.producerId, producerEpoch: first.producerEpoch, partitions: [{ topic: topic.name, partition: pd.index }] }
        const refuse = (r: VerifyRefusal): void => {
          response.errorCode = r.errorCode
          response.errorMessage = r.message
        }
        pending.push(appendVerified(broker, p, verify, ctx.apiVersion, append, refuse))
      } else pending.push(append())
      return response
    })
    return { name: topicData.name, partitionResponses }
  })

  await Promise.all(pending)
  if (acks === 0) return null
  return { responses, throttleTimeMs: 0, nodeEndpoints: ctx.apiVersion >= 10 ? pointToLeaders(ctx, responses) : [] }
}

/**
 * KIP-951 (v10+): a partition answered NOT_LEADER_OR_FOLLOWER carries the leader and epoch this
 * broker knows, and the response the endpoints of those leaders, so that the client retries there
 * without a Metadata round trip first.
 */
function pointToLeaders(ctx: RequestContext, responses: { name: string; partitionResponses: PartitionResponse[] }[]): ProduceResponseInput['nodeEndpoints'] {
  const image = ctx.broker.cluster.image
  const endpoints = new Map<number, NonNullable<ProduceResponseInput['nodeEndpoints']>[number]>()
  for (const topic of responses) {
    for (const response of topic.partitionResponses) {
      if (response.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) continue
      const p = image.topicsByName.get(topic.name)?.partitions[response.index]
      response.currentLeader = { leaderId: p?.leader ?? -1, leaderEpoch: p?.leaderEpoch ?? -1 }
      const leader = p ? image.brokers.get(p.leader) : undefined
      if (leader && !leader.fenced) endpoints.set(leader.id, { nodeId: leader.id, host: leader.host, port: leader.port, rack: leader.rack })
    }
  }
  return [...endpoints.values()]
}

defineHandler(produceApi, { versions: '0-11', handle })
