/**
 * Storage layer: partition logs on LevelDB (one store per broker) and in memory. Knows nothing of
 * sockets or the cluster. See README.md in this folder for the design and the error codes.
 */
export type {
  AppendInfo,
  EpochEndOffset,
  LogStore,
  LogStoreOptions,
  MetaOp,
  MetaStore,
  PartitionLog,
  RetentionOptions,
} from './types.js'
export { StorageError, STORAGE_ERRORS, isStorageError, type StorageErrorCode } from './errors.js'
export { LevelLogStore, type LevelLogStoreOptions } from './leveldb.js'
export { MemoryDisk, MemoryLogStore } from './memory.js'
export { RETENTION_BATCHES_MAX } from './retention.js'
export { COMPACTION_BATCHES_MAX, type CompactionOptions, type CompactionResult } from './compaction.js'
export { READ_BATCHES_MAX } from './partition-log.js'
export { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './epoch-cache.js'
