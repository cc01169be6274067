/**
 * Produce (key 0), versions 0-8 advertised; batches must be RecordBatch v2 (magic 2), which every
 * client sends from v3 on. Older message formats get UNSUPPORTED_FOR_MESSAGE_FORMAT.
 * Each partition's records are validated (sizes, counts, CRC-32C) and stored as sent, with the base
 * offset and partition leader epoch stamped in place. acks 0, 1 and -1 (all): acks=all answers once
 * every ISR member has the batch, NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas
 * (nothing appended), NOT_ENOUGH_REPLICAS_AFTER_APPEND when it shrank below while waiting,
 * REQUEST_TIMED_OUT after the request's timeout, KAFKA_STORAGE_ERROR (with a message naming the
 * broker) when the broker's log dir is offline (a full disk) or the append's write failed. acks=0 gets no response at all. Appends are issued in arrival order before any await, so pipelined requests on
 * one connection keep their order in the log.
 * Not implemented: transactions (a transactional id is refused), LogAppendTime.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { validateProducedRecords } from '../../protocol/produce-validation.js'
import { produceApi, type ProduceRequest, type ProduceResponseInput } from '../../protocol/messages/00-produce.js'
import { defineHandler, type HandlerResponse, type RequestContext } from '../handler.js'

type PartitionResponse = ProduceResponseInput['responses'][number]['partitionResponses'][number]

function partitionError(index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage }
}

async function handle(ctx: RequestContext, req: ProduceRequest): Promise<HandlerResponse<typeof produceApi>> {
  const { broker } = ctx
  const image = broker.cluster.image
  const acks = req.acks
  const pending: Promise<unknown>[] = []

  const responses = req.topicData.map((topicData) => {
    const topic = image.topicsByName.get(topicData.name)
    const partitionResponses = topicData.partitionData.map((pd): PartitionResponse => {
      if (acks !== 0 && acks !== 1 && acks !== -1) return partitionError(pd.index, ErrorCode.INVALID_REQUIRED_ACKS)
      if (req.transactionalId !== null) {
        return partitionError(pd.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported by sluice')
      }
      const p = topic?.partitions[pd.index]
      if (!topic || !p) return partitionError(pd.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      // A replica in an offline log dir answers KAFKA_STORAGE_ERROR whatever its role, as in Kafka.
      const offline = broker.offlineReplicaMessage(p.replicas)
      if (offline !== null) return partitionError(pd.index, ErrorCode.KAFKA_STORAGE_ERROR, offline)
      if (p.leader !== broker.id || !broker.running) return partitionError(pd.index, ErrorCode.NOT_LEADER_OR_FOLLOWER)
      const validated = validateProducedRecords(pd.records, { produceVersion: ctx.apiVersion })
      if (!validated.ok) return partitionError(pd.index, validated.errorCode, validated.message)
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
      // The headers validated here are the ones producer state and the log use: read once.
      const records = { bytes: validated.bytes, batches: validated.batches }
      const done = broker.replicas.append(topic.name, p, records, acks, req.timeoutMs).then((result) => {
        response.errorCode = result.errorCode
        response.errorMessage = result.errorMessage
        // The write failed and took the log dir offline: say which broker and why.
        if (result.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) response.errorMessage = broker.offlineReplicaMessage(p.replicas) ?? result.errorMessage
        response.baseOffset = result.baseOffset
        response.logStartOffset = result.logStartOffset
        if (result.errorCode === ErrorCode.NONE) broker.produced(topic.name, p.partition)
      })
      pending.push(done)
      return response
    })
    return { name: topicData.name, partitionResponses }
  })

  await Promise.all(pending)
  if (acks === 0) return null
  return { responses, throttleTimeMs: 0 }
}

defineHandler(produceApi, { versions: '0-8', handle })
