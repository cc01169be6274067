/**
 * DescribeLogDirs (key 35), versions 0-4.
 * A broker has one log dir (its LevelDB directory). It reports the partitions it hosts as a
 * replica: all of them for a null topic list, else those asked for; partitions and topics it does
 * not host are left out, as Kafka does. partitionSize is the bytes of the stored record batches.
 * An offline log dir (its store failed a write: a full disk) is answered KAFKA_STORAGE_ERROR.
 * Not implemented: offsetLag is always 0 (a broker sees only its own log, and only leaders hold
 * data until replication lands); totalBytes/usableBytes (v4) are -1 (unknown); no future logs.
 */
import { ErrorCode } from '../../protocol/errors.js'
import type { PartitionInfo } from '../../cluster/metadata.js'
import type { PartitionLog } from '../../storage/types.js'
import { describeLogDirsApi, type DescribeLogDirsRequest, type DescribeLogDirsResponseInput } from '../../protocol/messages/35-describe-log-dirs.js'
import { defineHandler, type RequestContext } from '../handler.js'
import type { Broker } from '../broker.js'

type LogDirTopic = DescribeLogDirsResponseInput['results'][number]['topics'][number]
type PartitionOut = LogDirTopic['partitions'][number]

/** The log dir's path: the LevelDB store knows its location; an in-memory store has none. */
function logDirOf(broker: Broker): string {
  const location = (broker.store as { location?: unknown }).location
  return typeof location === 'string' ? location : `memory:broker-${broker.id}`
}

/** The (topic, partitions) pairs to report, in request order, or every topic by name. */
function wanted(broker: Broker, req: DescribeLogDirsRequest): { name: string; partitions: PartitionInfo[] }[] {
  const image = broker.cluster.image
  const hosted = (p: PartitionInfo | undefined): p is PartitionInfo => p !== undefined && p.replicas.includes(broker.id)
  if (req.topics === null) {
    return [...image.topicsByName.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((t) => ({ name: t.name, partitions: t.partitions.filter(hosted) }))
  }
  return req.topics.map((t) => {
    const topic = image.topicsByName.get(t.topic)
    return { name: t.topic, partitions: topic ? t.partitions.map((i) => topic.partitions[i]).filter(hosted) : [] }
  })
}

async function handle(ctx: RequestContext, req: DescribeLogDirsRequest): Promise<DescribeLogDirsResponseInput> {
  const { broker } = ctx
  if (broker.logDirOffline) {
    // Kafka reports an offline log dir with KAFKA_STORAGE_ERROR and no partitions.
    const offline = { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: logDirOf(broker), topics: [], totalBytes: -1, usableBytes: -1 }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [offline] }
  }
  const topics: LogDirTopic[] = []
  for (const t of wanted(broker, req)) {
    const partitions: PartitionOut[] = []
    for (const p of t.partitions) {
      let log: PartitionLog
      try {
        const opened = broker.partitionLog(p.topicId, p.partition)
        log = opened instanceof Promise ? await opened : opened
      } catch (error) {
        // Deleted meanwhile, or the store is closing: the partition is not hosted any more.
        broker.log.warn('describe log dirs: cannot open partition', { topic: t.name, partition: p.partition, error: String(error) })
        continue
      }
      partitions.push({ partitionIndex: p.partition, partitionSize: log.sizeBytes, offsetLag: 0, isFutureKey: false })
    }
    if (partitions.length > 0) topics.push({ name: t.name, partitions })
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    results: [{ errorCode: ErrorCode.NONE, logDir: logDirOf(broker), topics, totalBytes: -1, usableBytes: -1 }],
  }
}

defineHandler(describeLogDirsApi, { versions: '0-4', handle })
