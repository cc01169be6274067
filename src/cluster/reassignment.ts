/**
 * Partition reassignment as Kafka 3.9's KRaft controller does it (ReplicationControlManager with
 * PartitionReassignmentReplicas, PartitionReassignmentRevert and PartitionChangeBuilder), as pure
 * functions of the metadata image that return partitionChange records:
 *
 * 1. A move starts with one record: the replicas become the target followed by the current
 *    replicas it drops (the union), with `addingReplicas` (target minus current) and
 *    `removingReplicas` (current minus target). The adding replicas host the partition as
 *    followers and catch up; the leader adds them to the ISR as it adds any caught-up follower.
 * 2. Once every replica of the target is in the ISR, a second record completes it: the replicas
 *    become the target, the ISR loses the removed ones, and if the leader was removed the first
 *    live target replica in the ISR leads. Checked whenever the ISR grows and at each tick.
 *    When the ISR already allows it (a reorder, a shrink), the move is one record.
 * 3. A cancel (replicas null) reverts: the replicas being added leave the replica set and the ISR.
 *    A new target while a move is in progress starts from the current (union) replica set.
 *
 * The target's size may differ from the current one (Kafka allows changing the replication
 * factor this way); its brokers must be registered, but may be fenced (the move then waits).
 */
import { topicConfig } from './configs.js'
import { ErrorCode } from '../protocol/errors.js'
import { applyPartitionChange, type MetadataImage, type PartitionChangeRecord, type PartitionInfo } from './metadata.js'
import { replicaListError } from './placement.js'

export interface ReassignmentRequest {
  topic: string
  partition: number
  /** The target replicas, preferred leader first; null cancels the reassignment in progress. */
  replicas: number[] | null
}

export interface ReassignmentResult {
  topic: string
  partition: number
  errorCode: number
  errorMessage: string | null
}

export interface OngoingReassignment {
  topic: string
  partition: number
  /** The union of the old and the target replicas, target first. */
  replicas: number[]
  addingReplicas: number[]
  removingReplicas: number[]
}

/** Which partitions to list: null for every reassignment in progress (ListPartitionReassignments). */
export type ReassignmentFilter = { topic: string; partitions: number[] }[] | null

/** A partition's replica sets as a change would leave them. */
interface Assignment {
  replicas: number[]
  isr: number[]
  adding: number[]
  removing: number[]
}

export function isReassigning(p: Pick<PartitionInfo, 'addingReplicas' | 'removingReplicas'>): boolean {
  return p.addingReplicas.length > 0 || p.removingReplicas.length > 0
}

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((id, i) => b[i] === id)
const without = (ids: readonly number[], drop: readonly number[]): number[] => ids.filter((id) => !drop.includes(id))
const sortedDifference = (a: readonly number[], b: readonly number[]): number[] => without(a, b).sort((x, y) => x - y)

/**
 * Kafka's maybeCompleteReassignment: a move completes once the ISR, without the replicas being
 * removed, is not empty and holds every remaining replica. Null while it cannot (or none is in progress).
 */
function completed(a: Assignment): Assignment | null {
  if (a.adding.length === 0 && a.removing.length === 0) return null
  const isr = without(a.isr, a.removing)
  const replicas = without(a.replicas, a.removing)
  if (isr.length === 0 || replicas.length === 0) return null
  if (!replicas.every((id) => isr.includes(id))) return null
  return { replicas, isr, adding: [], removing: [] }
}

/**
 * The record that takes `p` to `target` (completed if it can be), as Kafka's PartitionChangeBuilder
 * builds it: the leader stays while it is a live member of the new ISR, else the first live
 * replica in the new ISR leads (an unclean pick of any live replica only when `uncleanAllowed`).
 * Null when nothing would change.
 */
function changeTo(image: MetadataImage, p: PartitionInfo, target: Assignment, reason: string, uncleanAllowed: boolean): PartitionChangeRecord | null {
  const next = completed(target) ?? target
  const live = (id: number): boolean => image.brokers.get(id)?.fenced === false
  const canLead = (id: number): boolean => next.isr.includes(id) && live(id)
  let leader = p.leader
  let isr = next.isr
  let unclean = false
  if (leader < 0 || !canLead(leader)) {
    const clean = next.replicas.find(canLead)
    const other = uncleanAllowed ? next.replicas.find(live) : undefined
    if (clean !== undefined) leader = clean
    else if (other !== undefined) {
      leader = other
      isr = [other]
      unclean = true
    } else leader = -1
  }
  const record: PartitionChangeRecord = { type: 'partitionChange', topicId: p.topicId, partition: p.partition, reason }
  let changed = false
  if (leader !== p.leader) {
    record.leader = leader
    changed = true
  }
  if (!sameList(isr, p.isr)) {
    record.isr = isr
    changed = true
  }
  if (!sameList(next.replicas, p.replicas)) {
    record.replicas = next.replicas
    changed = true
  }
  if (!sameList(next.adding, p.addingReplicas) || !sameList(next.removing, p.removingReplicas)) {
    record.addingReplicas = next.adding
    record.removingReplicas = next.removing
    changed = true
  }
  if (unclean) record.unclean = true
  return changed ? record : null
}

/** Starts (or replaces) a move of `p` to `target`; a string says why it cannot. */
function startChange(image: MetadataImage, p: PartitionInfo, target: number[]): PartitionChangeRecord | null | string {
  const invalid = replicaListError(image, target)
  if (invalid) return invalid
  const removing = sortedDifference(p.replicas, target)
  const adding = sortedDifference(target, p.replicas)
  const assignment = { replicas: [...target, ...removing], isr: p.isr, adding, removing }
  return changeTo(image, p, assignment, `reassignment to [${target.join(',')}]`, false)
}

/** Kafka's PartitionReassignmentRevert; a string says why it cannot. */
function cancelChange(image: MetadataImage, topicName: string, p: PartitionInfo): PartitionChangeRecord | null | string {
  const replicas = without(p.replicas, p.addingReplicas)
  let isr = without(p.isr, p.addingReplicas)
  const uncleanAllowed = topicConfig(image.topicsByName.get(topicName)?.configs ?? new Map(), image.brokerConfigs, 'unclean.leader.election.enable') === 'true'
  let unclean = false
  if (isr.length === 0) {
    // Only replicas being added are in sync: going back means trusting an old replica that may
    // lack acknowledged records, which only an unclean election may do.
    if (!uncleanAllowed) return `Unable to revert partition assignment for ${topicName}:${p.partition} because it would require an unclean leader election.`
    isr = [replicas[0]!]
    unclean = true
  }
  const change = changeTo(image, p, { replicas, isr, adding: [], removing: [] }, 'reassignment cancelled', uncleanAllowed)
  if (change && unclean) change.unclean = true
  return change
}

/**
 * AlterPartitionReassignments: each request starts, replaces or (replicas null) cancels one
 * partition's move, with its own error. A partition named twice is changed twice, in order.
 */
export function alterReassignments(image: MetadataImage, reqs: readonly ReassignmentRequest[]): { records: PartitionChangeRecord[]; results: ReassignmentResult[] } {
  const records: PartitionChangeRecord[] = []
  // A partition as this command's earlier records leave it.
  const changed = new Map<string, PartitionInfo>()
  const results = reqs.map((req): ReassignmentResult => {
    const answer = (errorCode: number, errorMessage: string | null): ReassignmentResult => ({ topic: req.topic, partition: req.partition, errorCode, errorMessage })
    const topic = image.topicsByName.get(req.topic)
    if (!topic) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${req.topic}.`)
    const key = `${topic.topicId}:${req.partition}`
    const p = changed.get(key) ?? topic.partitions[req.partition]
    if (!p) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${req.topic}:${req.partition}.`)
    let change: PartitionChangeRecord | null | string
    if (req.replicas === null) {
      if (!isReassigning(p)) return answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.')
      change = cancelChange(image, req.topic, p)
    } else {
      change = startChange(image, p, req.replicas)
    }
    if (typeof change === 'string') return answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, change)
    if (change) {
      records.push(change)
      const after = clonePartition(p)
      applyPartitionChange(after, change)
      changed.set(key, after)
    }
    return answer(ErrorCode.NONE, null)
  })
  return { records, results }
}

/** The record that completes `p`'s move now that its ISR allows it, or null. */
export function completionChange(image: MetadataImage, p: PartitionInfo): PartitionChangeRecord | null {
  const assignment = { replicas: p.replicas, isr: p.isr, adding: p.addingReplicas, removing: p.removingReplicas }
  if (!completed(assignment)) return null
  return changeTo(image, p, assignment, 'reassignment completed', false)
}

/** Every move the image allows to complete (the controller's tick: after a restart, a missed ISR change). */
export function completionChanges(image: MetadataImage): PartitionChangeRecord[] {
  const out: PartitionChangeRecord[] = []
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      if (!isReassigning(p)) continue
      const change = completionChange(image, p)
      if (change) out.push(change)
    }
  }
  return out
}

/** The moves in progress (ListPartitionReassignments): unknown topics and partitions are left out, as in Kafka. */
export function listReassignments(image: MetadataImage, filter: ReassignmentFilter = null): OngoingReassignment[] {
  const out: OngoingReassignment[] = []
  const add = (topic: string, p: PartitionInfo | undefined): void => {
    if (!p || !isReassigning(p)) return
    out.push({ topic, partition: p.partition, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] })
  }
  if (filter === null) {
    const topics = [...image.topicsByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const topic of topics) for (const p of topic.partitions) add(topic.name, p)
  } else {
    for (const f of filter) {
      const topic = image.topicsByName.get(f.topic)
      if (topic) for (const index of f.partitions) add(topic.name, topic.partitions[index])
    }
  }
  return out
}

export function clonePartition(p: PartitionInfo): PartitionInfo {
  return { ...p, replicas: [...p.replicas], isr: [...p.isr], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] }
}
