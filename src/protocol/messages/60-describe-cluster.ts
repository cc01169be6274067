/**
 * DescribeCluster (key 60), versions 0-1; always flexible.
 * endpointType: 1 brokers, 2 controllers (v1+).
 * Not in Kafka 3.9, not here: v2 (includeFencedBrokers).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DescribeClusterRequest = message('DescribeClusterRequest', ApiKey.DescribeCluster, '0-1', '0+', [
  f('includeClusterAuthorizedOperations', 'bool', '0+'),
  f('endpointType', 'int8', '1+', { default: 1 }),
])

export const DescribeClusterResponse = message('DescribeClusterResponse', ApiKey.DescribeCluster, '0-1', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
  f('endpointType', 'int8', '1+', { default: 1 }),
  f('clusterId', 'string', '0+'),
  f('controllerId', 'int32', '0+', { default: -1 }),
  f('brokers', '[]DescribeClusterBroker', '0+', {
    fields: [
      f('brokerId', 'int32', '0+'),
      f('host', 'string', '0+'),
      f('port', 'int32', '0+'),
      f('rack', 'string', '0+', { nullableVersions: '0+', default: null }),
    ],
  }),
  f('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
])

export const describeClusterApi = api(DescribeClusterRequest, DescribeClusterResponse)
export type DescribeClusterRequest = Decoded<typeof DescribeClusterRequest>
export type DescribeClusterResponse = Decoded<typeof DescribeClusterResponse>
export type DescribeClusterResponseInput = Input<typeof DescribeClusterResponse>
