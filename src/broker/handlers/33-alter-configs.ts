/**
 * AlterConfigs (key 33), versions 0-2: replaces the explicit configs of a topic or of the brokers
 * (every explicit config not named returns to its default). validate_only is honoured.
 */
import { registerHandler, type RequestContext } from '../handler.js'
import { alterResource } from './alter-resource.js'

interface AlterConfigsRequest {
  resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null }[] }[]
  validateOnly: boolean
}

async function handle(ctx: RequestContext, req: AlterConfigsRequest): Promise<unknown> {
  const responses = []
  for (const r of req.resources) {
    responses.push(await alterResource(ctx, r.resourceType, r.resourceName, r.configs, true, req.validateOnly))
  }
  return { throttleTimeMs: 0, responses }
}

registerHandler({ apiKey: 33, name: 'AlterConfigs', minVersion: 0, maxVersion: 2, handle })
