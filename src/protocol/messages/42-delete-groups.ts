/**
 * DeleteGroups (key 42), versions 0-2; v2+ flexible.
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DeleteGroupsRequest = message('DeleteGroupsRequest', ApiKey.DeleteGroups, '0-2', '2+', [f('groupsNames', '[]string', '0+')])

export const DeleteGroupsResponse = message('DeleteGroupsResponse', ApiKey.DeleteGroups, '0-2', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]DeletableGroupResult', '0+', {
    fields: [f('groupId', 'string', '0+'), f('errorCode', 'int16', '0+')],
  }),
])

export const deleteGroupsApi = api(DeleteGroupsRequest, DeleteGroupsResponse)
export type DeleteGroupsRequest = Decoded<typeof DeleteGroupsRequest>
export type DeleteGroupsResponse = Decoded<typeof DeleteGroupsResponse>
export type DeleteGroupsResponseInput = Input<typeof DeleteGroupsResponse>
