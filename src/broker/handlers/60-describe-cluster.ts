/**
 * DescribeCluster (key 60), versions 0-1 (KIP-700; v1: endpoint types, KIP-919).
 * The live brokers, the cluster id, the controller (-1 when it is not among the live brokers, as
 * Kafka answers), and, when asked, the cluster's authorized operations: every one, as Kafka answers
 * without an authorizer (sluice has no ACLs). sluice's brokers are broker endpoints: a request for
 * controllers (endpoint type 2) answers MISMATCHED_ENDPOINT_TYPE, an unknown type
 * UNSUPPORTED_ENDPOINT_TYPE (both INVALID_REQUEST at v0, which cannot ask).
 * Not implemented: v2 (includeFencedBrokers) is not in Kafka 3.9.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { AUTHORIZED_OPERATIONS_OMITTED, allOperationsOn } from '../../protocol/acl-operations.js'
import { describeClusterApi, type DescribeClusterRequest, type DescribeClusterResponseInput } from '../../protocol/messages/60-describe-cluster.js'
import { defineHandler, type RequestContext } from '../handler.js'

const BROKERS = 1
const CONTROLLERS = 2

function handle(ctx: RequestContext, req: DescribeClusterRequest): DescribeClusterResponseInput {
  const { cluster } = ctx.broker
  const answer: DescribeClusterResponseInput = {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType: BROKERS,
    clusterId: cluster.clusterId,
    controllerId: -1,
    brokers: [],
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  }
  // Kafka's error answers carry nothing else: the schema's defaults (an empty cluster id).
  const fail = (errorCode: number, errorMessage: string): DescribeClusterResponseInput => ({ ...answer, clusterId: '', errorCode, errorMessage })
  const v0 = ctx.apiVersion === 0
  if (req.endpointType !== BROKERS && req.endpointType !== CONTROLLERS) {
    return fail(v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${req.endpointType}`)
  }
  if (req.endpointType !== BROKERS) {
    return fail(v0 ? ErrorCode.INVALID_REQUEST : ErrorCode.MISMATCHED_ENDPOINT_TYPE, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER')
  }
  const brokers = cluster.image.liveBrokers().map((b) => ({ brokerId: b.id, host: b.host, port: b.port, rack: b.rack }))
  return {
    ...answer,
    controllerId: brokers.some((b) => b.brokerId === cluster.controllerId) ? cluster.controllerId : -1,
    brokers,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? allOperationsOn('cluster') : AUTHORIZED_OPERATIONS_OMITTED,
  }
}

defineHandler(describeClusterApi, { versions: '0-1', handle })
