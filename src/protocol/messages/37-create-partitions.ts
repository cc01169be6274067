/**
 * CreatePartitions (key 37), versions 0-3; v2+ flexible.
 * `count` is the new total; assignments (null = broker's choice) give the replicas of each new one.
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const CreatePartitionsRequest = message('CreatePartitionsRequest', ApiKey.CreatePartitions, '0-3', '2+', [
  f('topics', '[]CreatePartitionsTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('count', 'int32', '0+'),
      f('assignments', '[]CreatePartitionsAssignment', '0+', {
        nullableVersions: '0+',
        fields: [f('brokerIds', '[]int32', '0+')],
      }),
    ],
  }),
  f('timeoutMs', 'int32', '0+'),
  f('validateOnly', 'bool', '0+'),
])

export const CreatePartitionsResponse = message('CreatePartitionsResponse', ApiKey.CreatePartitions, '0-3', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]CreatePartitionsTopicResult', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
    ],
  }),
])

export const createPartitionsApi = api(CreatePartitionsRequest, CreatePartitionsResponse)
export type CreatePartitionsRequest = Decoded<typeof CreatePartitionsRequest>
export type CreatePartitionsResponse = Decoded<typeof CreatePartitionsResponse>
export type CreatePartitionsResponseInput = Input<typeof CreatePartitionsResponse>
