/**
 * IncrementalAlterConfigs (key 44), versions 0-1: SET (0) and DELETE (1) of single configs of a
 * topic or of the brokers. Not implemented: APPEND (2) and SUBTRACT (3) on list configs
 * (answered INVALID_REQUEST).
 */
import { ErrorCode } from '../../protocol/errors.js'
import {
  AlterConfigOp,
  incrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponseInput,
} from '../../protocol/messages/44-incremental-alter-configs.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { alterResource, type ResourceResponse } from './alter-resource.js'


async function handle(ctx: RequestContext, req: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponseInput> {
  const responses: ResourceResponse[] = []
  for (const r of req.resources) {
    const unsupported = r.configs.find((c) => c.configOperation !== AlterConfigOp.SET && c.configOperation !== AlterConfigOp.DELETE)
    if (unsupported) {
      responses.push({
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `config operation ${unsupported.configOperation} on ${unsupported.name} is not supported by sluice`,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
      })
      continue
    }
    const changes = r.configs.map((c) => ({ name: c.name, value: c.configOperation === AlterConfigOp.DELETE ? null : c.value }))
    responses.push(await alterResource(ctx, r.resourceType, r.resourceName, changes, false, req.validateOnly))
  }
  return { throttleTimeMs: 0, responses }
}

defineHandler(incrementalAlterConfigsApi, { versions: '0-1', handle })
