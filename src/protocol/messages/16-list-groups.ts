/**
 * ListGroups (key 16), versions 0-5; v3+ flexible.
 * v4+ filters by state, v5+ by group type (KIP-848: classic, consumer, share); an empty filter
 * lets every group through.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const ListGroupsRequest = message('ListGroupsRequest', ApiKey.ListGroups, '0-5', '3+', [
  f('statesFilter', '[]string', '4+'),
  f('typesFilter', '[]string', '5+'),
])

export const ListGroupsResponse = message('ListGroupsResponse', ApiKey.ListGroups, '0-5', '3+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0+'),
  f('groups', '[]ListedGroup', '0+', {
    fields: [f('groupId', 'string', '0+'), f('protocolType', 'string', '0+'), f('groupState', 'string', '4+'), f('groupType', 'string', '5+')],
  }),
])

export const listGroupsApi = api(ListGroupsRequest, ListGroupsResponse)
export type ListGroupsRequest = Decoded<typeof ListGroupsRequest>
export type ListGroupsResponse = Decoded<typeof ListGroupsResponse>
export type ListGroupsResponseInput = Input<typeof ListGroupsResponse>
