/**
 * Metadata records told as cluster events, for `sluice cluster events` and the TUI's event log:
 * "broker 2 fenced", "leader of orders-0 moved from 2 to 3 at epoch 4", "ISR of orders-0 shrunk
 * to [1,3]". Pure: an event is computed from the image as it was just before the record.
 */
import { applyPartitionChange, MetadataImage, type MetadataRecord, type PartitionChangeRecord, type PartitionInfo } from './metadata.js'
import type { QuorumEventType } from './quorum-events.js'
import { clonePartition, isReassigning } from './reassignment.js'

export interface ClusterEvent {
  /** Offset of the record in the metadata log; null for a runtime event (see `seq`). */
  offset: number | null
  /** Runtime events only: their order among runtime events since the daemon started. */
  seq?: number
  timestamp: string
  type:
    | 'broker.registered'
    | 'broker.fenced'
    | 'broker.unfenced'
    | 'broker.unregistered'
    | 'topic.created'
    | 'topic.deleted'
    | 'partition.created'
    | 'leader.changed'
    | 'isr.shrunk'
    | 'isr.expanded'
    | 'reassign.started'
    | 'reassign.completed'
    | 'reassign.cancelled'
    | 'config.changed'
    | 'producer-ids.allocated'
    | 'metadata.snapshot'
    | RuntimeEventType
  message: string
  [field: string]: unknown
}

/**
 * Events of the running daemon that are not metadata records: broker lifecycle actions, faults,
 * failover measurements, transactions, and the controller quorum (quorum-events.ts; dedicated controllers' lifecycle actions); brokers added and removed. Kept in memory (the last RUNTIME_EVENTS_MAX), so a restart
 * forgets them.
 */
export type RuntimeEventType =
  | 'broker.killed'
  | 'broker.starting'
  | 'broker.started'
  | 'broker.paused'
  | 'broker.resumed'
  | 'broker.logdir.offline'
  | 'broker.logdir.online'
  | 'broker.added'
  | 'broker.removed'
  | 'controller.killed'
  | 'controller.started'
  | 'controller.paused'
  | 'controller.resumed'
  | 'fault.added'
  | 'fault.cleared'
  | 'failover.measured'
  | QuorumEventType
  | TxnEventType

/**
 * Transaction coordinators' events: a transaction committed or aborted (its markers written), a
 * producer fenced by a newer one with its transactional id, a transaction aborted by its timeout.
 * A coordinator tells at most a few dozen a second and counts the rest in one line.
 */
export type TxnEventType = 'txn.committed' | 'txn.aborted' | 'txn.fenced' | 'txn.timed-out'

export const RUNTIME_EVENTS_MAX = 1000

const list = (ids: readonly number[]): string => `[${ids.join(',')}]`
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`

/**
 * The metadata log as events, oldest first, each record told against the image just before it.
 * A snapshot's records (flagged `snapshot`, all at its offset, first) are the image then, not
 * changes: the records that made it left the log (KIP-630), so they are told as one
 * `metadata.snapshot` event rather than as brokers registered and topics created at that offset.
 */
export function describeLog(stored: readonly { offset: number; timestampMs: number; record: MetadataRecord; snapshot?: boolean }[]): ClusterEvent[] {
  const image = new MetadataImage()
  const events: ClusterEvent[] = []
  let i = 0
  if (stored[0]?.snapshot) {
    const { offset, timestampMs } = stored[0]
    while (stored[i]?.snapshot) image.apply(stored[i++]!.record, offset)
    events.push(describeSnapshot(image, offset, timestampMs))
  }
  for (const s of stored.slice(i)) {
    events.push(...describeRecord(image, s.record, s.offset, s.timestampMs))
    image.apply(s.record, s.offset)
  }
  return events
}

/** A metadata snapshot told as one event: what the image held at its offset. */
function describeSnapshot(image: MetadataImage, offset: number, timestampMs: number): ClusterEvent {
  const brokers = image.brokers.size
  const topics = image.topicsById.size
  const partitions = [...image.topicsById.values()].reduce((n, t) => n + t.partitions.length, 0)
  return {
    offset,
    timestamp: new Date(timestampMs).toISOString(),
    type: 'metadata.snapshot',
    brokers,
    topics,
    partitions,
    message: `metadata snapshot at offset ${offset}: ${count(brokers, 'broker')}, ${count(topics, 'topic')}, ${count(partitions, 'partition')} (the records before it are compacted into it)`,
  }
}

/** The event a record stands for, given the image *before* the record is applied. */
export function describeRecord(before: MetadataImage, record: MetadataRecord, offset: number, timestampMs: number): ClusterEvent[] {
  const base = { offset, timestamp: new Date(timestampMs).toISOString() }
  switch (record.type) {
    case 'registerBroker':
      return [{ ...base, type: 'broker.registered', broker: record.brokerId, brokerEpoch: record.brokerEpoch, message: `broker ${record.brokerId} registered (${record.host}:${record.port}, epoch ${record.brokerEpoch})` }]
    case 'fenceBroker':
      return [{ ...base, type: 'broker.fenced', broker: record.brokerId, message: `broker ${record.brokerId} fenced` }]
    case 'unfenceBroker':
      return [{ ...base, type: 'broker.unfenced', broker: record.brokerId, message: `broker ${record.brokerId} unfenced` }]
    case 'unregisterBroker':
      return [{ ...base, type: 'broker.unregistered', broker: record.brokerId, message: `broker ${record.brokerId} unregistered` }]
    case 'topic':
      return [{ ...base, type: 'topic.created', topic: record.name, topicId: record.topicId, message: `topic ${record.name} created` }]
    case 'removeTopic': {
      const name = before.topicsById.get(record.topicId)?.name ?? record.topicId
      return [{ ...base, type: 'topic.deleted', topic: name, message: `topic ${name} deleted` }]
    }
    case 'partition': {
      const name = before.topicsById.get(record.topicId)?.name ?? record.topicId
      return [
        {
          ...base,
          type: 'partition.created',
          topic: name,
          partition: record.partition,
          leader: record.leader,
          replicas: record.replicas,
          isr: record.isr,
          message: `partition ${name}-${record.partition} created: leader ${record.leader}, replicas ${list(record.replicas)}`,
        },
      ]
    }
    case 'partitionChange': {
      const topic = before.topicsById.get(record.topicId)
      const p = topic?.partitions[record.partition]
      const name = `${topic?.name ?? record.topicId}-${record.partition}`
      const events: ClusterEvent[] = []
      const reason = record.reason ? ` (${record.reason})` : ''
      if (record.leader !== undefined && p && record.leader !== p.leader) {
        const epoch = p.leaderEpoch + 1
        const to = record.leader === -1 ? 'none (offline)' : String(record.leader)
        events.push({
          ...base,
          type: 'leader.changed',
          topic: topic?.name,
          partition: record.partition,
          from: p.leader,
          to: record.leader,
          leaderEpoch: epoch,
          unclean: record.unclean === true,
          reason: record.reason ?? null,
          message: `${record.unclean ? 'UNCLEAN election: ' : ''}leader of ${name} moved from ${p.leader} to ${to} at epoch ${epoch}${reason}`,
        })
      }
      if (record.isr && p) {
        const shrunk = record.isr.length < p.isr.length || p.isr.some((id) => !record.isr!.includes(id))
        const expanded = record.isr.some((id) => !p.isr.includes(id))
        if (shrunk || expanded) {
          events.push({
            ...base,
            type: expanded && !shrunk ? 'isr.expanded' : 'isr.shrunk',
            topic: topic?.name,
            partition: record.partition,
            from: p.isr,
            to: record.isr,
            reason: record.reason ?? null,
            message: `ISR of ${name} ${expanded && !shrunk ? 'expanded' : 'shrunk'} from ${list(p.isr)} to ${list(record.isr)}${reason}`,
          })
        }
      }
      if (p) events.push(...reassignmentEvents(base, topic?.name ?? record.topicId, p, record))
      return events
    }
    case 'config':
      return [
        {
          ...base,
          type: 'config.changed',
          resourceType: record.resourceType,
          resource: record.resourceName,
          name: record.name,
          value: record.value,
          message: `${record.resourceType} ${record.resourceName || '(cluster)'}: ${record.name} ${record.value === null ? 'reset to its default' : `= ${record.value}`}`,
        },
      ]
    case 'producerIds':
      return [
        {
          ...base,
          type: 'producer-ids.allocated',
          next: record.nextProducerId,
          message: `producer ids ${before.nextProducerId}-${record.nextProducerId - 1} allocated`,
        },
      ]
  }
}

/**
 * A partitionChange told as a reassignment event: started (or replaced by a new target), completed,
 * or cancelled. `p` is the partition before the record.
 */
function reassignmentEvents(base: { offset: number; timestamp: string }, topic: string, p: PartitionInfo, record: PartitionChangeRecord): ClusterEvent[] {
  if (record.replicas === undefined && record.addingReplicas === undefined && record.removingReplicas === undefined) return []
  const after = clonePartition(p)
  applyPartitionChange(after, record)
  const name = `${topic}-${p.partition}`
  const fields = { ...base, topic, partition: p.partition, reason: record.reason ?? null }
  const original = (q: PartitionInfo): number[] => q.replicas.filter((id) => !q.addingReplicas.includes(id))
  if (isReassigning(after)) {
    const from = original(after)
    const to = after.replicas.filter((id) => !after.removingReplicas.includes(id))
    return [
      {
        ...fields,
        type: 'reassign.started',
        from,
        to,
        replicas: after.replicas,
        addingReplicas: after.addingReplicas,
        removingReplicas: after.removingReplicas,
        message: `reassignment of ${name} started: ${list(from)} to ${list(to)} (adding ${list(after.addingReplicas)}, removing ${list(after.removingReplicas)})`,
      },
    ]
  }
  // Back to where it was: a replica it was removing is kept, or one it was adding is gone.
  const cancelled = isReassigning(p) && (p.removingReplicas.some((id) => after.replicas.includes(id)) || p.addingReplicas.some((id) => !after.replicas.includes(id)))
  if (cancelled) {
    return [{ ...fields, type: 'reassign.cancelled', from: p.replicas, to: after.replicas, message: `reassignment of ${name} cancelled: replicas back to ${list(after.replicas)}` }]
  }
  if (!isReassigning(p) && record.replicas === undefined) return []
  const from = isReassigning(p) ? original(p) : p.replicas
  return [{ ...fields, type: 'reassign.completed', from, to: after.replicas, message: `reassignment of ${name} completed: replicas ${list(from)} to ${list(after.replicas)}` }]
}
