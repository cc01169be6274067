/**
 * `sluice topic list` over sluice's own wire client (wire/), not @platformatic/kafka: a listing is
 * one Metadata request, and a CLI call that makes one should not pay for loading a client library
 * (docs/performance.md, start-up). Topics sorted by name, internal ones only when asked, ones
 * still being created (LEADER_NOT_AVAILABLE) included.
 */
import { ErrorCode } from '../protocol/errors.js'
import { metadataApi } from '../protocol/messages/03-metadata.js'
import { toClusterError, type ClusterTarget } from './kafka.js'
import { dashedTopicId, type TopicSummary } from './topic-model.js'
import { withBootstrapConnection } from './wire/bootstrap.js'

/** As TopicAdmin's: a hung broker should cost a person at the terminal seconds, not 30 s. */
const REQUEST_TIMEOUT_MS = 10_000
/** The newest Metadata that names topics the way this reads them. */
const METADATA_VERSION_MAX = 12

export async function listTopics(target: ClusterTarget, opts: { internal?: boolean } = {}): Promise<TopicSummary[]> {
  let topics
  try {
    topics = await withBootstrapConnection(target, 'sluice-admin', REQUEST_TIMEOUT_MS, async (connection) => {
      const version = connection.version(metadataApi, METADATA_VERSION_MAX) ?? 0
      // v0 asks for every topic with an empty list; later versions with null.
      const answer = await connection.request(metadataApi, { topics: version === 0 ? [] : null, allowAutoTopicCreation: false }, { timeoutMs: REQUEST_TIMEOUT_MS, max: METADATA_VERSION_MAX })
      return answer.topics
    })
  } catch (err) {
    throw toClusterError(err, target, 'cannot list topics')
  }
  return topics
    .filter((t) => typeof t.name === 'string' && (t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) && (opts.internal || !t.isInternal))
    .map((t) => ({
      topic: t.name!,
      topicId: dashedTopicId(t.topicId),
      internal: t.isInternal,
      partitionCount: t.partitions.length,
      replicationFactor: t.partitions.reduce((max, p) => Math.max(max, p.replicaNodes.length), 0),
    }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
}
