/**
 * DescribeConfigs (key 32), versions 0-4.
 * Topic (resource type 2) and broker (4) configs: every known name, or only the keys asked for;
 * synonyms (v1+, when asked), type and documentation (v3+). Unknown topics answer
 * UNKNOWN_TOPIC_OR_PARTITION; other resource types INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { ConfigResourceType, describeConfigsApi, type DescribeConfigsRequest, type DescribeConfigsResponseInput } from '../../protocol/messages/32-describe-configs.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { describeBrokerConfigs, describeTopicConfigs } from './config-entries.js'

const RESOURCE_BROKER = 4

type Result = DescribeConfigsResponseInput['results'][number]

function handle(ctx: RequestContext, req: DescribeConfigsRequest): DescribeConfigsResponseInput {
  const image = ctx.broker.cluster.image
  const results = req.resources.map((r) => {
    const out: Result = { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }
    if (r.resourceType === ConfigResourceType.TOPIC) {
      const topic = image.topicsByName.get(r.resourceName)
      if (!topic) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        out.errorMessage = `Topic ${r.resourceName} does not exist.`
      } else {
        out.configs = describeTopicConfigs(topic.configs, image.brokerConfigs, r.configurationKeys, req.includeDocumentation, req.includeSynonyms)
      }
    } else if (r.resourceType === RESOURCE_BROKER) {
      out.configs = describeBrokerConfigs(image.brokerConfigs, r.configurationKeys, req.includeDocumentation, req.includeSynonyms)
    } else {
      out.errorCode = ErrorCode.INVALID_REQUEST
      out.errorMessage = `resource type ${r.resourceType} is not supported by sluice`
    }
    return out
  })
  return { throttleTimeMs: 0, results }
}

defineHandler(describeConfigsApi, { versions: '0-4', handle })
