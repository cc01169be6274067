import { describe, expect, it } from 'vitest'
import { Controller, type CommandResult } from '../../src/cluster/controller.js'
import { describeRecord } from '../../src/cluster/events.js'
import { MetadataImage, type MetadataRecord, type PartitionInfo } from '../../src/cluster/metadata.js'
import { seededRng } from '../../src/cluster/rng.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { partitionHealth } from '../../src/cluster/partition-health.js'

/** A controller with brokers 1..n and topic `t` of one partition on `replicas` (first leads). */
function cluster(brokers: number, replicas: number[]): RecordingController {
  const c = new RecordingController(new MetadataImage(), seededRng(1))
  for (let id = 1; id <= brokers; id++) c.commit(c.registerBroker(id, '127.0.0.1', 9091 + id).records)
  const created = c.createTopic({ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }] })
  expect(created.errorCode).toBe(ErrorCode.NONE)
  c.commit(created.records)
  return c
}

const part = (c: Controller): PartitionInfo => c.image.partition('t', 0)!

/** Commits a command's records; returns them. */
function run<T>(c: Controller, result: CommandResult<T>): CommandResult<T> {
  expect(result.errorCode).toBe(ErrorCode.NONE)
  c.commit(result.records)
  return result
}

function reassign(c: Controller, replicas: number[] | null): { errorCode: number; errorMessage: string | null } {
  return run(c, c.alterPartitionReassignments([{ topic: 't', partition: 0, replicas }])).value![0]!
}

/** The leader adds `id` to the ISR, as it does once the follower caught up. */
function join(c: Controller, id: number): CommandResult {
  const p = part(c)
  return run(c, c.alterIsr({ brokerId: p.leader, topicId: p.topicId, partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [...p.isr, id] }))
}

const state = (p: PartitionInfo): object => ({ replicas: p.replicas, isr: p.isr, leader: p.leader, adding: p.addingReplicas, removing: p.removingReplicas })

describe('cluster/reassignment', () => {
  it('moves [1,2] to [2,3]: the union while the new replica catches up, then the target, and the removed leader hands over', () => {
    const c = cluster(3, [1, 2])
    expect(reassign(c, [2, 3]).errorCode).toBe(ErrorCode.NONE)
    expect(state(part(c))).toEqual({ replicas: [2, 3, 1], isr: [1, 2], leader: 1, adding: [3], removing: [1] })
    expect(c.listPartitionReassignments()).toEqual([{ topic: 't', partition: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }])

    const before = new MetadataImage()
    for (const r of replayable(c)) before.apply(r, before.offset + 1)
    const joined = join(c, 3)
    expect(joined.records).toHaveLength(2)
    expect(state(part(c))).toEqual({ replicas: [2, 3], isr: [2, 3], leader: 2, adding: [], removing: [] })
    expect(c.listPartitionReassignments()).toEqual([])

    // Told as events: the ISR expansion, then the completion (leadership and ISR move with it).
    const types: string[] = []
    for (const r of joined.records) {
      types.push(...describeRecord(before, r, 0, 0).map((e) => e.type))
      before.apply(r, before.offset + 1)
    }
    expect(types).toEqual(['isr.expanded', 'leader.changed', 'isr.shrunk', 'reassign.completed'])
  })

  it('moves to a disjoint set: complete only once every target replica is in the ISR', () => {
    const c = cluster(4, [1, 2])
    reassign(c, [3, 4])
    expect(state(part(c))).toMatchObject({ replicas: [3, 4, 1, 2], adding: [3, 4], removing: [1, 2] })
    expect(join(c, 3).records).toHaveLength(1)
    expect(join(c, 4).records).toHaveLength(2)
    expect(state(part(c))).toEqual({ replicas: [3, 4], isr: [3, 4], leader: 3, adding: [], removing: [] })
  })

  it('completes at once when the ISR already allows it (a reorder, a shrink)', () => {
    const c = cluster(3, [1, 2, 3])
    reassign(c, [3, 2, 1])
    expect(state(part(c))).toEqual({ replicas: [3, 2, 1], isr: [1, 2, 3], leader: 1, adding: [], removing: [] })
    const shrink = c.alterPartitionReassignments([{ topic: 't', partition: 0, replicas: [2, 3] }])
    expect(shrink.records).toHaveLength(1)
    c.commit(shrink.records)
    expect(state(part(c))).toEqual({ replicas: [2, 3], isr: [2, 3], leader: 2, adding: [], removing: [] })
  })

  it('cancels a move: the replicas being added leave the replicas and the ISR', () => {
    const c = cluster(4, [1, 2])
    reassign(c, [3, 4])
    join(c, 3)
    expect(reassign(c, null).errorCode).toBe(ErrorCode.NONE)
    expect(state(part(c))).toEqual({ replicas: [1, 2], isr: [1, 2], leader: 1, adding: [], removing: [] })
    expect(reassign(c, null)).toMatchObject({ errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS })
  })

  it('refuses a cancel that needs an unclean election (only replicas being added are in sync)', () => {
    const c = cluster(3, [1])
    reassign(c, [2, 3])
    join(c, 2)
    run(c, c.fenceBroker(1, 'test'))
    expect(state(part(c))).toMatchObject({ isr: [2], leader: 2 })
    expect(reassign(c, null)).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: expect.stringContaining('unclean') })
  })

  it('answers Kafka errors per partition, and changes the valid ones', () => {
    const c = cluster(3, [1, 2])
    const result = c.alterPartitionReassignments([
      { topic: 'nope', partition: 0, replicas: [1] },
      { topic: 't', partition: 5, replicas: [1] },
      { topic: 't', partition: 0, replicas: [1, 1] },
      { topic: 't', partition: 0, replicas: [1, 9] },
      { topic: 't', partition: 0, replicas: [] },
      { topic: 't', partition: 0, replicas: [2, 3] },
    ])
    expect(result.errorCode).toBe(ErrorCode.NONE)
    expect(result.value!.map((r) => r.errorCode)).toEqual([
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.NONE,
    ])
    expect(result.records).toHaveLength(1)
  })

  it('applies a partition named twice in one request in order', () => {
    const c = cluster(4, [1, 2])
    const result = run(c, c.alterPartitionReassignments([
      { topic: 't', partition: 0, replicas: [2, 3] },
      { topic: 't', partition: 0, replicas: [2, 4] },
    ]))
    expect(result.records).toHaveLength(2)
    // The second target starts from the first one's union, as Kafka's does.
    expect(state(part(c))).toMatchObject({ replicas: [2, 4, 1, 3], adding: [4], removing: [1, 3] })
  })

  it('completes at a tick a move whose ISR allows it (its ISR change committed without the completion)', () => {
    const c = cluster(3, [1, 2])
    reassign(c, [2, 3])
    const p = part(c)
    const isrOnly = c.alterIsr({ brokerId: 1, topicId: p.topicId, partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [1, 2, 3] })
    c.commit(isrOnly.records.slice(0, 1))
    expect(part(c).addingReplicas).toEqual([3])
    run(c, c.tick(0))
    expect(state(part(c))).toEqual({ replicas: [2, 3], isr: [2, 3], leader: 2, adding: [], removing: [] })
  })

  it('keeps a move across a replay of the metadata log (the records carry the replica sets)', () => {
    const c = cluster(3, [1, 2])
    reassign(c, [2, 3])
    const replayed = new MetadataImage()
    for (const r of replayable(c)) replayed.apply(JSON.parse(JSON.stringify(r)) as MetadataRecord, replayed.offset + 1)
    expect(state(replayed.partition('t', 0)!)).toEqual(state(part(c)))
  })

  it('elects a target replica when the leader being removed is fenced during the move', () => {
    const c = cluster(3, [1, 2])
    reassign(c, [2, 3])
    run(c, c.fenceBroker(1, 'test'))
    expect(state(part(c))).toMatchObject({ leader: 2, isr: [2], adding: [3], removing: [1] })
    join(c, 3)
    expect(state(part(c))).toEqual({ replicas: [2, 3], isr: [2, 3], leader: 2, adding: [], removing: [] })
  })
})

/** A controller that keeps what it committed: the metadata log, to replay. */
class RecordingController extends Controller {
  readonly log: MetadataRecord[] = []
  override commit(records: MetadataRecord[]): void {
    this.log.push(...records)
    super.commit(records)
  }
}

function replayable(c: Controller): MetadataRecord[] {
  return [...(c as RecordingController).log]
}

describe('cluster/partition-health during a reassignment', () => {
  it('counts a partition under-replicated against the replicas it keeps, not the union a move has', () => {
    // [1,2] -> [2,3]: replicas [2,3,1], 3 catching up.
    expect(partitionHealth({ leader: 1, isr: [1, 2], replicas: [2, 3, 1], removingReplicas: [1] })).toBe('ok')
    expect(partitionHealth({ leader: 1, isr: [1], replicas: [2, 3, 1], removingReplicas: [1] })).toBe('under-replicated')
    expect(partitionHealth({ leader: 1, isr: [1, 2], replicas: [1, 2, 3] })).toBe('under-replicated')
  })
})
