/**
 * Broker configs: Kafka 3.9's (KafkaConfig's definitions, with Kafka's types and defaults), and
 * the few of sluice's own (`kafka: false`). `dynamic` is Kafka's DynamicBrokerConfig: what Kafka
 * alters without a restart. Sluice also alters at run time every config it honours (it has no
 * server.properties to edit and restart with); a config neither dynamic in Kafka nor honoured is
 * read-only, and AlterConfigs of it answers as Kafka does.
 */
import type { ConfigDef, ConfigType } from './config-def.js'
import { KAFKA_BROKER_CONFIG_ROWS } from './kafka-broker-configs.js'

export interface BrokerConfigDef extends ConfigDef {
  /** Alterable in Kafka without a restart (DynamicBrokerConfig.AllDynamicConfigs). */
  dynamic: boolean
  /** False for sluice's own configs, which Kafka does not have. */
  kafka: boolean
}

const LONG_MAX = '9223372036854775807'

type Options = Partial<Pick<BrokerConfigDef, 'choices' | 'min' | 'max' | 'alsoAllowed' | 'dynamic' | 'kafka'>>

/** A config sluice acts on. */
function honoured(name: string, type: ConfigType, def: string | null, doc: string, opts: Options = {}): BrokerConfigDef {
  return { name, type, default: def, doc, honoured: true, dynamic: false, kafka: true, ...opts }
}

/** A config sluice accepts, validates and describes, but has no mechanism for. */
function accepted(name: string, type: ConfigType, def: string | null, doc: string, opts: Options = {}): BrokerConfigDef {
  return { name, type, default: def, doc, honoured: false, dynamic: false, kafka: true, ...opts }
}

const DYN = { dynamic: true }
const COMPRESSION = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']

const list: BrokerConfigDef[] = [
  // Topics and their placement.
  honoured('auto.create.topics.enable', 'boolean', 'true', 'create a topic when a client asks for its metadata'),
  honoured('num.partitions', 'int', '1', 'partitions of a topic created without a count', { min: 1 }),
  honoured('default.replication.factor', 'int', '1', 'replication factor of a topic created without one (clamped to the live brokers)'),
  honoured('min.insync.replicas', 'int', '1', 'default min.insync.replicas of topics', { min: 1, ...DYN }),
  honoured('message.max.bytes', 'int', '1048588', 'default max.message.bytes of topics', { min: 0, ...DYN }),
  honoured('unclean.leader.election.enable', 'boolean', 'false', 'default of the topic config of the same name', DYN),
  // Retention and compaction: the topic configs' broker synonyms (ServerTopicConfigSynonyms).
  honoured('log.retention.check.interval.ms', 'long', '300000', 'how often retention and compaction run', { min: 1 }),
  honoured('log.retention.ms', 'long', null, 'default retention.ms of topics; first of the three retention settings', DYN),
  honoured('log.retention.minutes', 'int', null, 'default retention.ms of topics in minutes, when log.retention.ms is not set'),
  honoured('log.retention.hours', 'int', '168', 'default retention.ms of topics in hours, when neither log.retention.ms nor log.retention.minutes is set'),
  honoured('log.retention.bytes', 'long', '-1', 'default retention.bytes of topics', DYN),
  honoured('log.cleanup.policy', 'list', 'delete', 'default cleanup.policy of topics', { choices: ['compact', 'delete'], ...DYN }),
  honoured('log.cleaner.delete.retention.ms', 'long', '86400000', 'default delete.retention.ms of topics', { min: 0, ...DYN }),
  accepted('log.cleaner.min.compaction.lag.ms', 'long', '0', 'default min.compaction.lag.ms of topics', { min: 0, ...DYN }),
  accepted('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'default max.compaction.lag.ms of topics', { min: 1, ...DYN }),
  accepted('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'default min.cleanable.dirty.ratio of topics', { min: 0, max: 1, ...DYN }),
  accepted('log.cleaner.enable', 'boolean', 'true', 'whether the log cleaner runs (sluice compacts with retention)'),
  accepted('log.cleaner.threads', 'int', '1', 'threads of the log cleaner', { min: 0, ...DYN }),
  accepted('log.cleaner.dedupe.buffer.size', 'long', '134217728', 'memory of the log cleaner for deduplication', DYN),
  accepted('log.cleaner.io.buffer.load.factor', 'double', '0.9', 'load factor of the dedupe buffer', DYN),
  accepted('log.cleaner.io.buffer.size', 'int', '524288', 'I/O buffer memory of the log cleaner', { min: 0, ...DYN }),
  accepted('log.cleaner.io.max.bytes.per.second', 'double', '1.7976931348623157E308', 'throttle of the log cleaner', DYN),
  accepted('log.cleaner.backoff.ms', 'long', '15000', 'sleep of the log cleaner when there is nothing to clean', { min: 0, ...DYN }),
  accepted('log.segment.bytes', 'int', '1073741824', 'default segment.bytes of topics', { min: 14, ...DYN }),
  accepted('log.roll.ms', 'long', null, 'default segment.ms of topics', DYN),
  accepted('log.roll.hours', 'int', '168', 'default segment.ms of topics in hours, when log.roll.ms is not set', { min: 1 }),
  accepted('log.roll.jitter.ms', 'long', null, 'default segment.jitter.ms of topics', DYN),
  accepted('log.roll.jitter.hours', 'int', '0', 'default segment.jitter.ms of topics in hours', { min: 0 }),
  accepted('log.index.size.max.bytes', 'int', '10485760', 'default segment.index.bytes of topics', { min: 4, ...DYN }),
  accepted('log.index.interval.bytes', 'int', '4096', 'default index.interval.bytes of topics', { min: 0, ...DYN }),
  accepted('log.flush.interval.messages', 'long', LONG_MAX, 'default flush.messages of topics', { min: 1, ...DYN }),
  accepted('log.flush.interval.ms', 'long', null, 'default flush.ms of topics', DYN),
  accepted('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'how often the log flusher looks for logs to flush; default flush.ms of topics'),
  accepted('log.flush.offset.checkpoint.interval.ms', 'int', '60000', 'how often the recovery point is checkpointed', { min: 0 }),
  accepted('log.flush.start.offset.checkpoint.interval.ms', 'int', '60000', 'how often log start offsets are checkpointed', { min: 0 }),
  accepted('log.segment.delete.delay.ms', 'long', '60000', 'default file.delete.delay.ms of topics', { min: 0, ...DYN }),
  accepted('log.preallocate', 'boolean', 'false', 'default preallocate of topics', DYN),
  accepted('log.message.format.version', 'string', '3.0-IV1', 'deprecated default message.format.version of topics'),
  accepted('log.message.timestamp.type', 'string', 'CreateTime', 'default message.timestamp.type of topics', { choices: ['CreateTime', 'LogAppendTime'], ...DYN }),
  accepted('log.message.timestamp.difference.max.ms', 'long', LONG_MAX, 'default message.timestamp.difference.max.ms of topics', { min: 0, ...DYN }),
  accepted('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'default message.timestamp.before.max.ms of topics', { min: 0, ...DYN }),
  accepted('log.message.timestamp.after.max.ms', 'long', LONG_MAX, 'default message.timestamp.after.max.ms of topics', { min: 0, ...DYN }),
  accepted('log.message.downconversion.enable', 'boolean', 'true', 'default message.downconversion.enable of topics', DYN),
  accepted('log.local.retention.ms', 'long', '-2', 'default local.retention.ms of topics', { min: -2, ...DYN }),
  accepted('log.local.retention.bytes', 'long', '-2', 'default local.retention.bytes of topics', { min: -2, ...DYN }),
  accepted('compression.type', 'string', 'producer', 'default compression.type of topics', { choices: COMPRESSION, ...DYN }),
  accepted('compression.gzip.level', 'int', '-1', 'default compression.gzip.level of topics', { min: 1, max: 9, alsoAllowed: ['-1'], ...DYN }),
  accepted('compression.lz4.level', 'int', '9', 'default compression.lz4.level of topics', { min: 1, max: 17, ...DYN }),
  accepted('compression.zstd.level', 'int', '3', 'default compression.zstd.level of topics', { min: -131072, max: 22, ...DYN }),
  accepted('log.dir', 'string', '/tmp/kafka-logs', 'the log directory (sluice keeps each broker in the home)'),
  accepted('log.dirs', 'string', null, 'the log directories (sluice keeps each broker in the home)'),
  accepted('num.recovery.threads.per.data.dir', 'int', '1', 'threads that recover logs at startup', { min: 1, ...DYN }),
  // Cluster membership, replication and leadership.
  honoured('broker.session.timeout.ms', 'int', '9000', 'a broker that has not heartbeated for this long is fenced and loses its leaderships'),
  honoured('broker.heartbeat.interval.ms', 'int', '2000', 'how often brokers heartbeat to the controller'),
  honoured('replica.lag.time.max.ms', 'long', '30000', 'a follower not caught up for this long leaves the ISR'),
  honoured('replica.fetch.wait.max.ms', 'int', '500', 'how long a follower fetch waits for new data'),
  honoured('max.incremental.fetch.session.cache.slots', 'int', '1000', 'fetch sessions (KIP-227) each broker keeps; a client beyond them gets none and fetches in full', { min: 0 }),
  honoured('auto.leader.rebalance.enable', 'boolean', 'true', 'move leadership back to preferred replicas when they are in sync'),
  honoured('leader.imbalance.check.interval.seconds', 'long', '300', 'how often preferred leaders are restored', { min: 1 }),
  accepted('leader.imbalance.per.broker.percentage', 'int', '10', 'imbalance a broker may have before preferred leaders are restored (sluice restores any)'),
  accepted('num.replica.fetchers', 'int', '1', 'fetcher threads per source broker', DYN),
  accepted('replica.fetch.max.bytes', 'int', '1048576', 'bytes a follower fetches per partition', { min: 0 }),
  accepted('replica.fetch.min.bytes', 'int', '1', 'bytes a follower fetch waits for'),
  accepted('replica.fetch.response.max.bytes', 'int', '10485760', 'bytes a follower fetches per request', { min: 0 }),
  accepted('replica.fetch.backoff.ms', 'int', '1000', 'sleep of a follower after a fetch error', { min: 0 }),
  accepted('replica.high.watermark.checkpoint.interval.ms', 'long', '5000', 'how often high watermarks are checkpointed'),
  accepted('replica.socket.timeout.ms', 'int', '30000', 'socket timeout of replica fetches'),
  accepted('replica.socket.receive.buffer.bytes', 'int', '65536', 'receive buffer of replica fetches'),
  accepted('replica.selector.class', 'class', null, 'picks a preferred read replica (sluice serves reads from leaders only)'),
  accepted('broker.rack', 'string', null, "the broker's rack (sluice brokers have none)"),
  accepted('node.id', 'int', '-1', "the node's id (sluice numbers its brokers itself)"),
  accepted('broker.id', 'int', '-1', "the broker's id (sluice numbers its brokers itself)"),
  accepted('process.roles', 'list', '', 'broker and/or controller (sluice runs one in-process controller)', { choices: ['broker', 'controller'] }),
  accepted('controlled.shutdown.enable', 'boolean', 'true', 'move leaderships away before a broker stops'),
  accepted('delete.topic.enable', 'boolean', 'true', 'whether topics can be deleted (sluice always allows it)'),
  accepted('num.io.threads', 'int', '8', 'request handler threads', { min: 1, ...DYN }),
  accepted('num.network.threads', 'int', '3', 'network threads', { min: 1, ...DYN }),
  accepted('background.threads', 'int', '10', 'background task threads', { min: 1, ...DYN }),
  accepted('queued.max.requests', 'int', '500', 'requests queued before network threads stop reading', { min: 1 }),
  accepted('request.timeout.ms', 'int', '30000', 'timeout of requests the broker sends'),
  accepted('socket.request.max.bytes', 'int', '104857600', 'the largest request the broker reads', { min: 1 }),
  accepted('socket.send.buffer.bytes', 'int', '102400', 'SO_SNDBUF of the broker sockets'),
  accepted('socket.receive.buffer.bytes', 'int', '102400', 'SO_RCVBUF of the broker sockets'),
  honoured('connections.max.idle.ms', 'long', '600000', 'a client connection that sends and receives nothing for this long is closed (a half-sent request included)'),
  accepted('max.connections', 'int', '2147483647', 'connections the broker accepts', { min: 0, ...DYN }),
  accepted('max.connections.per.ip', 'int', '2147483647', 'connections the broker accepts from one address', { min: 0, ...DYN }),
  accepted('max.connections.per.ip.overrides', 'string', '', 'per-address overrides of max.connections.per.ip', DYN),
  accepted('max.connection.creation.rate', 'int', '2147483647', 'new connections per second the broker accepts', { min: 0, ...DYN }),
  accepted('remote.log.storage.system.enable', 'boolean', 'false', 'tiered storage on this broker'),
  // Groups and offsets.
  honoured('group.initial.rebalance.delay.ms', 'int', '3000', 'how long a new group waits for more members before its first rebalance'),
  honoured('group.min.session.timeout.ms', 'int', '6000', 'the shortest session timeout a consumer may ask for'),
  honoured('group.max.session.timeout.ms', 'int', '1800000', 'the longest session timeout a consumer may ask for'),
  accepted('group.max.size', 'int', '2147483647', 'members a group may have', { min: 1 }),
  honoured('offsets.topic.num.partitions', 'int', '50', 'partitions of __consumer_offsets, when it is created', { min: 1 }),
  honoured('offsets.topic.replication.factor', 'short', '3', 'replication factor of __consumer_offsets (clamped to the live brokers)', { min: 1 }),
  accepted('offsets.topic.segment.bytes', 'int', '104857600', 'segment size of __consumer_offsets', { min: 1 }),
  accepted('offsets.retention.minutes', 'int', '10080', 'how long the offsets of an empty group are kept (sluice keeps them until deleted)', { min: 1 }),
  accepted('offsets.retention.check.interval.ms', 'long', '600000', 'how often stale offsets are looked for', { min: 1 }),
  accepted('offsets.commit.timeout.ms', 'int', '5000', 'how long an offset commit waits for its replicas', { min: 1 }),
  accepted('offsets.load.buffer.size', 'int', '5242880', 'read size when loading offsets', { min: 1 }),
  accepted('offset.metadata.max.bytes', 'int', '4096', 'largest metadata of a committed offset'),
  // Transactions and idempotent producers (src/broker/txn-coordinator.ts, docs/transactions.md).
  honoured('producer.id.expiration.ms', 'int', '86400000', "how long a partition keeps an idempotent producer's sequences after its last batch", { min: 1, ...DYN }),
  honoured('transaction.partition.verification.enable', 'boolean', 'true', "a leader asks the transaction coordinator whether the partition is in the producer's transaction before its first transactional batch there (KIP-890)", DYN),
  honoured('transaction.state.log.num.partitions', 'int', '50', 'partitions of __transaction_state, when it is created', { min: 1 }),
  honoured('transaction.state.log.replication.factor', 'short', '3', 'replication factor of __transaction_state (clamped to the live brokers)', { min: 1 }),
  honoured('transaction.state.log.min.isr', 'int', '2', 'min.insync.replicas of __transaction_state (clamped to its replication factor)', { min: 1 }),
  accepted('transaction.state.log.segment.bytes', 'int', '104857600', 'segment size of __transaction_state', { min: 1 }),
  honoured('transaction.max.timeout.ms', 'int', '900000', 'the longest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT above it)', { min: 1 }),
  honoured('transactional.id.expiration.ms', 'int', '604800000', 'a transactional id with no transaction open and no request for this long is forgotten', { min: 1 }),
  honoured('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', 'how often transactions open longer than their timeout are aborted', { min: 1 }),
  honoured('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', '3600000', 'how often expired transactional ids are removed', { min: 1 }),
  // The controller quorum (src/daemon/quorum-metadata-log.ts, docs/cluster.md).
  honoured('metadata.log.max.record.bytes.between.snapshots', 'long', '20971520', 'a controller voter snapshots the metadata log, and drops the entries below, once it committed this many bytes of entries since its last snapshot', { min: 1 }),
  // Sluice's own partition limits (src/cluster/limits.ts, docs/limits.md): what one request may add.
  honoured('max.topic.partitions', 'int', '10000', 'the most partitions one topic may have (INVALID_PARTITIONS above it; sluice only)', { min: 1, kafka: false }),
  honoured('max.partitions', 'int', '20000', 'the most partitions in the cluster, each counted once (POLICY_VIOLATION above it; KIP-578, sluice only)', { min: 1, kafka: false }),
  honoured('max.broker.partitions', 'int', '12000', 'the most partition replicas one broker may host (POLICY_VIOLATION above it; KIP-578, sluice only)', { min: 1, kafka: false }),
]

for (const [name, type, def, rules] of KAFKA_BROKER_CONFIG_ROWS) {
  list.push(accepted(name, type, def, 'a Kafka broker setting sluice has no mechanism for', { dynamic: false, ...rules }))
}

export const BROKER_CONFIGS: ReadonlyMap<string, BrokerConfigDef> = new Map(list.map((c) => [c.name, c]))
