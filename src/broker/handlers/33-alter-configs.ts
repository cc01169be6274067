/**
 * AlterConfigs (key 33), versions 0-2: replaces the explicit configs of a topic or of the brokers
 * (every explicit config not named returns to its default). validate_only is honoured.
 */
import { alterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponseInput } from '../../protocol/messages/33-alter-configs.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { alterResource, type ResourceResponse } from './alter-resource.js'

async function handle(ctx: RequestContext, req: AlterConfigsRequest): Promise<AlterConfigsResponseInput> {
  const responses: ResourceResponse[] = []
  for (const r of req.resources) {
    responses.push(await alterResource(ctx, r.resourceType, r.resourceName, r.configs, true, req.validateOnly))
  }
  return { throttleTimeMs: 0, responses }
}

defineHandler(alterConfigsApi, { versions: '0-2', handle })
