/** The part AlterConfigs and IncrementalAlterConfigs share: one resource's changes through the controller. */
import { ErrorCode } from '../../protocol/errors.js'
import { ConfigResourceType } from '../../protocol/messages/32-describe-configs.js'
import type { AlterConfigsResponseInput } from '../../protocol/messages/33-alter-configs.js'
import type { ConfigChange } from '../../cluster/configs.js'
import type { MetadataImage } from '../../cluster/metadata.js'
import type { RequestContext } from '../handler.js'

/** One resource's answer; AlterConfigs and IncrementalAlterConfigs answer the same fields. */
export type ResourceResponse = AlterConfigsResponseInput['responses'][number]


export async function alterResource(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
  changes: ConfigChange[],
  replace: boolean,
  validateOnly: boolean,
): Promise<ResourceResponse> {
  const out: ResourceResponse = { errorCode: ErrorCode.NONE, errorMessage: null, resourceType, resourceName }
  if (resourceType !== ConfigResourceType.TOPIC && resourceType !== ConfigResourceType.BROKER) {
    out.errorCode = ErrorCode.INVALID_REQUEST
    out.errorMessage = `resource type ${resourceType} is not supported by sluice`
    return out
  }
  const kind = resourceType === ConfigResourceType.TOPIC ? 'topic' : 'broker'
  const nameError = kind === 'broker' ? brokerResourceError(ctx.broker.cluster.image, resourceName) : null
  if (nameError) {
    out.errorCode = ErrorCode.INVALID_REQUEST
    out.errorMessage = nameError
    return out
  }
  const result = await ctx.broker.cluster.alterConfigs(kind, resourceName, changes, replace, validateOnly)
  out.errorCode = result.errorCode
  out.errorMessage = result.errorMessage
  return out
}

/**
 * Why a broker resource name is not one this cluster answers for ("" or a registered broker's
 * id), in Kafka's words, or null.
 */
export function brokerResourceError(image: MetadataImage, resourceName: string): string | null {
  if (resourceName === '') return null
  if (!/^-?\d+$/.test(resourceName)) return `Broker id must be an integer, but it is: ${resourceName}`
  if (!image.brokers.has(Number(resourceName))) return `Unexpected broker id, expected one of ${[...image.brokers.keys()].join(', ')} or empty string, but received ${resourceName}`
  return null
}
