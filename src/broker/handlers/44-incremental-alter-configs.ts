/**
 * IncrementalAlterConfigs (key 44), versions 0-1: SET (0), DELETE (1), and APPEND (2) and
 * SUBTRACT (3) on list configs, of a topic or of the brokers, with validate_only. As Kafka: a list
 * operation starts from the resource's own value, else the config's default; APPEND skips items
 * already there, SUBTRACT of an absent item changes nothing; a list operation on a config that is
 * not a list answers INVALID_CONFIG; a null value (but for DELETE), a config named twice, an
 * unknown operation or a resource named twice answer INVALID_REQUEST.
 * Not implemented: per-broker dynamic configs (one cluster-wide set; docs/unsupported.md).
 */
import type { ConfigChange } from '../../cluster/configs.js'
import { ErrorCode } from '../../protocol/errors.js'
import {
  AlterConfigOp,
  incrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponseInput,
} from '../../protocol/messages/44-incremental-alter-configs.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { alterResource, type ResourceResponse } from './alter-resource.js'

type Resource = IncrementalAlterConfigsRequest['resources'][number]

/** The resource's changes, or why the request is malformed (Kafka's ConfigAdminManager.preprocess wording). */
function changesOf(r: Resource): ConfigChange[] | string {
  const names = r.configs.map((c) => c.name)
  if (new Set(names).size !== names.length) return 'Error due to duplicate config keys'
  const nulls = r.configs.filter((c) => c.configOperation !== AlterConfigOp.DELETE && c.value === null).map((c) => c.name)
  if (nulls.length > 0) return `Null value not supported for : ${nulls.join(', ')}`
  const changes: ConfigChange[] = []
  for (const c of r.configs) {
    switch (c.configOperation) {
      case AlterConfigOp.SET:
        changes.push({ name: c.name, value: c.value })
        break
      case AlterConfigOp.DELETE:
        changes.push({ name: c.name, value: null })
        break
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT:
        changes.push({ name: c.name, value: c.value, op: c.configOperation === AlterConfigOp.APPEND ? 'append' : 'subtract' })
        break
      default:
        return `Unknown operations type ${c.configOperation}`
    }
  }
  return changes
}

async function handle(ctx: RequestContext, req: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponseInput> {
  const seen = new Map<string, number>()
  for (const r of req.resources) seen.set(`${r.resourceType}:${r.resourceName}`, (seen.get(`${r.resourceType}:${r.resourceName}`) ?? 0) + 1)
  const responses: ResourceResponse[] = []
  for (const r of req.resources) {
    const invalid = (errorMessage: string): ResourceResponse => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })
    if (seen.get(`${r.resourceType}:${r.resourceName}`)! > 1) {
      responses.push(invalid('Each resource must appear at most once.'))
      continue
    }
    const changes = changesOf(r)
    if (typeof changes === 'string') {
      responses.push(invalid(changes))
      continue
    }
    responses.push(await alterResource(ctx, r.resourceType, r.resourceName, changes, false, req.validateOnly))
  }
  return { throttleTimeMs: 0, responses }
}

defineHandler(incrementalAlterConfigsApi, { versions: '0-1', handle })
