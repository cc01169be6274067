/**
 * DeleteTopics (key 20), versions 0-6.
 * By name (v0-5 topic_names; v6 topics with a name or a topic id). The controller removes the
 * topic from the metadata; each broker then drops the partition logs it held.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { deleteTopicsApi, type DeleteTopicsRequest, type DeleteTopicsResponseInput } from '../../protocol/messages/20-delete-topics.js'
import { defineHandler, type RequestContext } from '../handler.js'

const ZERO_UUID = '00000000000000000000000000000000'

async function handle(ctx: RequestContext, req: DeleteTopicsRequest): Promise<DeleteTopicsResponseInput> {
  const { cluster } = ctx.broker
  const wanted =
    ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }))
  const responses: DeleteTopicsResponseInput['responses'][number][] = []
  for (const t of wanted) {
    const byId = t.topicId !== ZERO_UUID ? t.topicId : null
    const result = await cluster.deleteTopic({ name: t.name, topicId: byId })
    responses.push({
      name: result.value?.name ?? t.name,
      topicId: result.value?.topicId ?? t.topicId,
      errorCode: result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && byId ? ErrorCode.UNKNOWN_TOPIC_ID : result.errorCode,
      errorMessage: result.errorMessage,
    })
  }
  return { throttleTimeMs: 0, responses }
}

defineHandler(deleteTopicsApi, { versions: '0-6', handle })
