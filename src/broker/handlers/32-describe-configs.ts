/**
 * DescribeConfigs (key 32), versions 0-4.
 * Topic (resource type 2) and broker (4) configs: every one Kafka 3.9 knows, or only the keys asked
 * for, each with its value, source and, when asked, synonyms in Kafka's order of precedence
 * (topic override, dynamic, static: sluice's defaults, Kafka's default) and documentation (v3+).
 * A broker resource is one broker's id (every config) or "" (the cluster default: only the configs
 * set dynamically). Unknown topics answer UNKNOWN_TOPIC_OR_PARTITION, an unknown broker id
 * INVALID_REQUEST. Not implemented: BROKER_LOGGER (8; sluice has no log4j loggers) and
 * CLIENT_METRICS (16) resources, answered INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { ConfigResourceType, describeConfigsApi, type DescribeConfigsRequest, type DescribeConfigsResponseInput } from '../../protocol/messages/32-describe-configs.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { brokerResourceError } from './alter-resource.js'
import { describeBrokerConfigs, describeTopicConfigs, type DescribeOptions } from './config-entries.js'

type Result = DescribeConfigsResponseInput['results'][number]

function handle(ctx: RequestContext, req: DescribeConfigsRequest): DescribeConfigsResponseInput {
  const image = ctx.broker.cluster.image
  const results = req.resources.map((r) => {
    const out: Result = { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }
    const opts: DescribeOptions = { keys: r.configurationKeys, documentation: req.includeDocumentation, synonyms: req.includeSynonyms }
    if (r.resourceType === ConfigResourceType.TOPIC) {
      const topic = image.topicsByName.get(r.resourceName)
      if (!topic) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        out.errorMessage = `Topic ${r.resourceName} does not exist.`
      } else {
        out.configs = describeTopicConfigs(topic.configs, image, opts)
      }
    } else if (r.resourceType === ConfigResourceType.BROKER) {
      const error = brokerResourceError(image, r.resourceName)
      if (error) {
        out.errorCode = ErrorCode.INVALID_REQUEST
        out.errorMessage = error
      } else {
        out.configs = describeBrokerConfigs(image, r.resourceName === '', opts)
      }
    } else {
      out.errorCode = ErrorCode.INVALID_REQUEST
      out.errorMessage = `resource type ${r.resourceType} is not supported by sluice`
    }
    return out
  })
  return { throttleTimeMs: 0, results }
}

defineHandler(describeConfigsApi, { versions: '0-4', handle })
