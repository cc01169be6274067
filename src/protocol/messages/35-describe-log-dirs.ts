/**
 * DescribeLogDirs (key 35), versions 0-4; v2+ flexible.
 * Request topics null = every partition the broker hosts. v3 adds the top-level errorCode,
 * v4 the volume's totalBytes and usableBytes (-1 = unknown).
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DescribeLogDirsRequest = message('DescribeLogDirsRequest', ApiKey.DescribeLogDirs, '0-4', '2+', [
  f('topics', '[]DescribableLogDirTopic', '0+', {
    nullableVersions: '0+',
    fields: [f('topic', 'string', '0+'), f('partitions', '[]int32', '0+')],
  }),
])

export const DescribeLogDirsResponse = message('DescribeLogDirsResponse', ApiKey.DescribeLogDirs, '0-4', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '3+'),
  f('results', '[]DescribeLogDirsResult', '0+', {
    fields: [
      f('errorCode', 'int16', '0+'),
      f('logDir', 'string', '0+'),
      f('topics', '[]DescribeLogDirsTopic', '0+', {
        fields: [
          f('name', 'string', '0+'),
          f('partitions', '[]DescribeLogDirsPartition', '0+', {
            fields: [
              f('partitionIndex', 'int32', '0+'),
              f('partitionSize', 'int64', '0+'),
              f('offsetLag', 'int64', '0+'),
              f('isFutureKey', 'bool', '0+'),
            ],
          }),
        ],
      }),
      f('totalBytes', 'int64', '4+', { default: -1 }),
      f('usableBytes', 'int64', '4+', { default: -1 }),
    ],
  }),
])

export const describeLogDirsApi = api(DescribeLogDirsRequest, DescribeLogDirsResponse)
export type DescribeLogDirsRequest = Decoded<typeof DescribeLogDirsRequest>
export type DescribeLogDirsResponse = Decoded<typeof DescribeLogDirsResponse>
export type DescribeLogDirsResponseInput = Input<typeof DescribeLogDirsResponse>
