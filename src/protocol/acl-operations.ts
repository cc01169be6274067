/**
 * Kafka's ACL operations (KIP-430's "authorized operations"): the operation codes, the operations
 * each resource type supports, and the 32-bit field that Metadata, DescribeCluster and
 * DescribeGroups answer them in (bit n set = operation with code n allowed).
 * Codes and supported sets as Kafka's `AclOperation` and `AclEntry.supportedOperations`.
 */

export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation

/** The operations an ACL can grant on each resource type that sluice has. */
export const SUPPORTED_OPERATIONS = {
  topic: [READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS],
  group: [READ, DESCRIBE, DELETE],
  cluster: [CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE],
} as const

/** The schemas' default for an authorized-operations field: not asked for. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

/** The bit field of a set of operation codes. */
export function operationsBitField(operations: readonly number[]): number {
  let field = 0
  for (const op of operations) field |= 1 << op
  return field
}

/**
 * What a broker without an authorizer answers for a resource: every operation the resource type
 * supports (sluice has no ACLs, so nothing is denied).
 */
export function allOperationsOn(resourceType: keyof typeof SUPPORTED_OPERATIONS): number {
  return operationsBitField(SUPPORTED_OPERATIONS[resourceType])
}
