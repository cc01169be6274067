/**
 * The response that answers a request of any API with one Kafka error code, built from the API's
 * response schema: what the fault injector answers when a drill injects an error ("the next 3
 * Produce requests to broker 2 get NOT_LEADER_OR_FOLLOWER"). The request is not run: nothing is
 * appended, committed or created.
 *
 * As Kafka's per-request getErrorResponse does:
 * - every `errorCode` field carries the code: at the top level, per topic and partition, per
 *   resource, group or member (and the untagged `...ErrorCode` fields of the older schemas, such as
 *   AddPartitionsToTxn's `partitionErrorCode`); `errorMessage` fields say the error was injected;
 * - a response list whose items carry an error code mirrors the request list it answers (the
 *   one of the same name, else the first whose items share a field with it: Produce's
 *   `responses` answer `topicData`, DeleteGroups' `results` answer `groupsNames`), one item per
 *   request item; other lists are empty (Metadata's brokers, DescribeLogDirs' results);
 * - an item is named as its request item: the request item's key (its first field) fills the
 *   response item's first field of that type, and its strings and UUIDs (names, ids) the fields of
 *   the same name;
 * - int64 fields (offsets, timestamps, producer ids, sizes) are -1, unknown, unless the schema
 *   gives a default; record sets are empty (librdkafka rejects a null one); the rest take the
 *   schema's default.
 */
import { defaultMaker } from '../protocol/codec.js'
import { inVersions, type ApiSchema, type FieldSpec } from '../protocol/schema.js'

type Body = Record<string, unknown>

export const INJECTED_ERROR_MESSAGE = 'injected by a sluice fault'

const isList = (field: FieldSpec): boolean => field.type.startsWith('[]')
const elementType = (field: FieldSpec): string => field.type.slice(2)
const isScalarList = (field: FieldSpec): boolean => isList(field) && field.fields === undefined
const isIdentity = (field: FieldSpec): boolean => field.type === 'string' || field.type === 'uuid'
const isErrorCode = (field: FieldSpec): boolean => field.name === 'errorCode' || (field.name.endsWith('ErrorCode') && field.taggedVersions === undefined)

function inVersion(fields: readonly FieldSpec[] | undefined, version: number): FieldSpec[] {
  return (fields ?? []).filter((f) => inVersions(f.versions, version))
}

/** Whether the items of a list carry an error code, themselves or in a list of theirs. */
function carriesErrorCode(field: FieldSpec): boolean {
  return (field.fields ?? []).some((f) => isErrorCode(f) || (isList(f) && carriesErrorCode(f)))
}

/** The request list a response list answers, if any. */
function answeredList(list: FieldSpec, requestFields: FieldSpec[], version: number): FieldSpec | undefined {
  const lists = requestFields.filter(isList)
  const items = inVersion(list.fields, version).filter((f) => !isErrorCode(f))
  const shares = (candidate: FieldSpec): boolean =>
    isScalarList(candidate)
      ? items.some((f) => f.type === elementType(candidate))
      : inVersion(candidate.fields, version).some((c) => items.some((f) => f.name === c.name))
  return lists.find((l) => l.name === list.name) ?? lists.find(shares)
}

function filler(field: FieldSpec, errorCode: number): unknown {
  if (isErrorCode(field)) return errorCode
  if (field.name === 'errorMessage' && field.type === 'string') return INJECTED_ERROR_MESSAGE
  if (field.type === 'records') return []
  if (field.type === 'int64' && field.default === undefined) return -1
  return defaultMaker(field)()
}

function build(fields: readonly FieldSpec[] | undefined, version: number, errorCode: number, request: Body | null, requestFields: FieldSpec[]): Body {
  const out: Body = {}
  for (const field of inVersion(fields, version)) {
    const answered = isList(field) && carriesErrorCode(field) ? answeredList(field, requestFields, version) : undefined
    if (answered !== undefined) {
      const items = (request?.[answered.name] as unknown[] | null | undefined) ?? []
      out[field.name] = items.map((item) => buildItem(field, answered, item, version, errorCode))
    } else {
      out[field.name] = filler(field, errorCode)
    }
  }
  return out
}

/** One response item answering one request item (a struct, or a scalar such as a group id). */
function buildItem(list: FieldSpec, answered: FieldSpec, item: unknown, version: number, errorCode: number): Body {
  const scalar = isScalarList(answered)
  const requestFields = scalar ? [] : inVersion(answered.fields, version)
  const request = scalar ? null : (item as Body)
  const out = build(list.fields, version, errorCode, request, requestFields)
  const named = new Set<string>()
  for (const f of inVersion(list.fields, version)) {
    const same = requestFields.find((r) => r.name === f.name && r.type === f.type && isIdentity(r))
    if (same && request) {
      out[f.name] = request[f.name]
      named.add(f.name)
    }
  }
  // The request item's key: a scalar item itself, or a struct item's first field.
  const first = requestFields[0]
  const key = scalar ? { type: elementType(answered), value: item } : first && request && !isList(first) ? { type: first.type, value: request[first.name] } : null
  const keyField = key && inVersion(list.fields, version).find((f) => f.type === key.type && !isErrorCode(f))
  if (key && keyField && !named.has(keyField.name)) out[keyField.name] = key.value
  return out
}

/** The error response of `api` at `version` to `request` (decoded with the same schema). */
export function errorResponse(api: ApiSchema, version: number, request: Body, errorCode: number): Body {
  return build(api.response.fields, version, errorCode, request, inVersion(api.request.fields, version))
}
