/**
 * Every topic config of Kafka 3.9 (LogConfig's definitions), with Kafka's types, defaults and
 * validators, and each one's broker synonyms in Kafka's order of precedence
 * (ServerTopicConfigSynonyms). `honoured: false` marks a config sluice accepts, validates, stores
 * and describes but has no mechanism for (listed in docs/unsupported.md; a test keeps both true).
 */
import type { ConfigDef } from './config-def.js'

const LONG_MAX = '9223372036854775807'
/** Kafka's ThrottledReplicaListValidator: `*`, or partition:broker pairs. */
const THROTTLED = /^(\*|\d+:\d+(,\s*\d+:\d+)*)?$/

/** A broker synonym of a topic config; `unitMs` converts its value to the topic's milliseconds. */
export interface BrokerSynonym {
  name: string
  unitMs?: number
}

export interface TopicConfigDef extends ConfigDef {
  /** Broker configs that give this config its cluster-wide default, first wins; none: no server default. */
  synonyms: readonly BrokerSynonym[]
}

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000

function log(name: string, unitMs?: number): BrokerSynonym {
  return unitMs === undefined ? { name: `log.${name}` } : { name: `log.${name}`, unitMs }
}

const list: TopicConfigDef[] = [
  { name: 'segment.bytes', type: 'int', default: '1073741824', min: 14, honoured: false, synonyms: [log('segment.bytes')], doc: 'size of a log segment file (sluice keeps no segments)' },
  { name: 'segment.ms', type: 'long', default: '604800000', min: 1, honoured: false, synonyms: [log('roll.ms'), log('roll.hours', HOUR_MS)], doc: 'age at which a segment is rolled even if not full (sluice keeps no segments)' },
  { name: 'segment.jitter.ms', type: 'long', default: '0', min: 0, honoured: false, synonyms: [log('roll.jitter.ms'), log('roll.jitter.hours', HOUR_MS)], doc: 'random amount taken off segment.ms so that segments do not all roll at once' },
  { name: 'segment.index.bytes', type: 'int', default: '10485760', min: 4, honoured: false, synonyms: [log('index.size.max.bytes')], doc: 'size of the offset index of a segment' },
  { name: 'flush.messages', type: 'long', default: LONG_MAX, min: 1, honoured: false, synonyms: [log('flush.interval.messages')], doc: 'records written between forced fsyncs of the log (LevelDB decides when sluice syncs)' },
  { name: 'flush.ms', type: 'long', default: LONG_MAX, min: 0, honoured: false, synonyms: [log('flush.interval.ms'), log('flush.scheduler.interval.ms')], doc: 'time between forced fsyncs of the log' },
  { name: 'retention.bytes', type: 'long', default: '-1', honoured: true, synonyms: [log('retention.bytes')], doc: 'how large a partition may grow before its oldest batches are deleted (-1: no limit)' },
  { name: 'retention.ms', type: 'long', default: '604800000', min: -1, honoured: true, synonyms: [log('retention.ms'), log('retention.minutes', MINUTE_MS), log('retention.hours', HOUR_MS)], doc: 'how long batches are kept before they are deleted (-1: forever)' },
  { name: 'max.message.bytes', type: 'int', default: '1048588', min: 0, honoured: true, synonyms: [{ name: 'message.max.bytes' }], doc: 'the largest record batch the topic accepts' },
  { name: 'index.interval.bytes', type: 'int', default: '4096', min: 0, honoured: false, synonyms: [log('index.interval.bytes')], doc: 'bytes of log between two entries of the offset index' },
  { name: 'delete.retention.ms', type: 'long', default: '86400000', min: 0, honoured: true, synonyms: [{ name: 'log.cleaner.delete.retention.ms' }], doc: 'how long tombstones stay readable on a compacted topic' },
  { name: 'min.compaction.lag.ms', type: 'long', default: '0', min: 0, honoured: false, synonyms: [{ name: 'log.cleaner.min.compaction.lag.ms' }], doc: 'the least time a record stays uncompacted' },
  { name: 'max.compaction.lag.ms', type: 'long', default: LONG_MAX, min: 1, honoured: false, synonyms: [{ name: 'log.cleaner.max.compaction.lag.ms' }], doc: 'the longest a record may stay uncompacted' },
  { name: 'file.delete.delay.ms', type: 'long', default: '60000', min: 0, honoured: false, synonyms: [log('segment.delete.delay.ms')], doc: 'how long a deleted segment file lingers before it is removed' },
  { name: 'min.cleanable.dirty.ratio', type: 'double', default: '0.5', min: 0, max: 1, honoured: false, synonyms: [{ name: 'log.cleaner.min.cleanable.ratio' }], doc: 'share of uncompacted log that makes a partition worth compacting' },
  { name: 'cleanup.policy', type: 'list', default: 'delete', choices: ['compact', 'delete'], honoured: true, synonyms: [log('cleanup.policy')], doc: 'delete old batches by retention, compact to the last record per key, or both' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', honoured: true, synonyms: [{ name: 'unclean.leader.election.enable' }], doc: 'elect a replica outside the ISR when no ISR member is alive (loses records)' },
  { name: 'min.insync.replicas', type: 'int', default: '1', min: 1, honoured: true, synonyms: [{ name: 'min.insync.replicas' }], doc: 'in-sync replicas a batch needs before acks=all succeeds (sluice clamps it to the replication factor)' },
  { name: 'compression.type', type: 'string', default: 'producer', choices: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'], honoured: false, synonyms: [{ name: 'compression.type' }], doc: 'codec batches are stored in; sluice always keeps them as the producer sent them' },
  { name: 'compression.gzip.level', type: 'int', default: '-1', min: 1, max: 9, alsoAllowed: ['-1'], honoured: false, synonyms: [{ name: 'compression.gzip.level' }], doc: 'gzip level when the broker recompresses (-1: the codec default)' },
  { name: 'compression.lz4.level', type: 'int', default: '9', min: 1, max: 17, honoured: false, synonyms: [{ name: 'compression.lz4.level' }], doc: 'lz4 level when the broker recompresses' },
  { name: 'compression.zstd.level', type: 'int', default: '3', min: -131072, max: 22, honoured: false, synonyms: [{ name: 'compression.zstd.level' }], doc: 'zstd level when the broker recompresses' },
  { name: 'preallocate', type: 'boolean', default: 'false', honoured: false, synonyms: [log('preallocate')], doc: 'allocate segment files at full size up front' },
  { name: 'message.format.version', type: 'string', default: '3.0-IV1', honoured: false, synonyms: [log('message.format.version')], doc: 'deprecated: ignored since inter-broker protocol 3.0' },
  { name: 'message.timestamp.type', type: 'string', default: 'CreateTime', choices: ['CreateTime', 'LogAppendTime'], honoured: false, synonyms: [log('message.timestamp.type')], doc: "which timestamp the log keeps: the producer's or the broker's append time (sluice keeps the producer's)" },
  { name: 'message.timestamp.difference.max.ms', type: 'long', default: LONG_MAX, min: 0, honoured: false, synonyms: [log('message.timestamp.difference.max.ms')], doc: 'deprecated: how far a CreateTime timestamp may be from the broker clock' },
  { name: 'message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, min: 0, honoured: false, synonyms: [log('message.timestamp.before.max.ms')], doc: 'how far in the past a CreateTime timestamp may be' },
  { name: 'message.timestamp.after.max.ms', type: 'long', default: LONG_MAX, min: 0, honoured: false, synonyms: [log('message.timestamp.after.max.ms')], doc: 'how far in the future a CreateTime timestamp may be' },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: '', listPattern: THROTTLED, honoured: false, synonyms: [], doc: 'replicas whose leader-side replication is throttled: partition:broker pairs, or *' },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: '', listPattern: THROTTLED, honoured: false, synonyms: [], doc: 'replicas whose follower-side replication is throttled: partition:broker pairs, or *' },
  { name: 'message.downconversion.enable', type: 'boolean', default: 'true', honoured: false, synonyms: [log('message.downconversion.enable')], doc: 'whether fetches of old versions may get records converted down' },
  { name: 'remote.storage.enable', type: 'boolean', default: 'false', honoured: false, synonyms: [], doc: 'tiered storage for this topic' },
  { name: 'local.retention.ms', type: 'long', default: '-2', min: -2, honoured: false, synonyms: [log('local.retention.ms')], doc: 'with tiered storage, how long batches stay on local disk (-2: retention.ms)' },
  { name: 'local.retention.bytes', type: 'long', default: '-2', min: -2, honoured: false, synonyms: [log('local.retention.bytes')], doc: 'with tiered storage, how much log stays on local disk (-2: retention.bytes)' },
  { name: 'remote.log.copy.disable', type: 'boolean', default: 'false', honoured: false, synonyms: [], doc: 'with tiered storage, stop copying segments to remote storage' },
  { name: 'remote.log.delete.on.disable', type: 'boolean', default: 'false', honoured: false, synonyms: [], doc: 'with tiered storage, delete remote data when tiering is turned off' },
]

export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigDef> = new Map(list.map((c) => [c.name, c]))
