/**
 * What a broker needs from the rest of the cluster: the metadata image it answers from, and the
 * controller, to which it forwards admin requests (as a KRaft broker forwards them).
 */
import type { CommandResult, CreateTopicRequest, CreatedTopic } from '../cluster/controller.js'
import type { MetadataImage } from '../cluster/metadata.js'

export interface ClusterView {
  readonly clusterId: string
  readonly controllerId: number
  readonly image: MetadataImage
  createTopic(req: CreateTopicRequest, validateOnly: boolean): Promise<CommandResult<CreatedTopic>>
  deleteTopic(by: { name?: string | null; topicId?: string | null }): Promise<CommandResult<{ name: string; topicId: string }>>
  alterConfigs(
    resourceType: 'topic' | 'broker',
    resourceName: string,
    changes: { name: string; value: string | null }[],
    replace: boolean,
    validateOnly: boolean,
  ): Promise<CommandResult>
}

export interface Clock {
  nowMs(): number
}
