/** The part AlterConfigs and IncrementalAlterConfigs share: one resource's changes through the controller. */
import { ErrorCode } from '../../protocol/errors.js'
import { ConfigResourceType } from '../../protocol/messages/32-describe-configs.js'
import type { AlterConfigsResponseInput } from '../../protocol/messages/33-alter-configs.js'
import type { RequestContext } from '../handler.js'

/** One resource's answer; AlterConfigs and IncrementalAlterConfigs answer the same fields. */
export type ResourceResponse = AlterConfigsResponseInput['responses'][number]


export async function alterResource(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
  changes: { name: string; value: string | null }[],
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
  const result = await ctx.broker.cluster.alterConfigs(kind, resourceName, changes, replace, validateOnly)
  out.errorCode = result.errorCode
  out.errorMessage = result.errorMessage
  return out
}
