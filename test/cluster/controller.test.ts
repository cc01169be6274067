import { describe, expect, it } from 'vitest'
import { Controller } from '../../src/cluster/controller.js'
import { assignReplicas } from '../../src/cluster/placement.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { MetadataImage } from '../../src/cluster/metadata.js'
import { seededRng } from '../../src/cluster/rng.js'

function cluster(brokers = 3, seed = 1): Controller {
  const c = new Controller(new MetadataImage(), seededRng(seed))
  for (let id = 1; id <= brokers; id++) c.commit(c.registerBroker(id, '127.0.0.1', 9091 + id).records)
  return c
}

describe('cluster/controller', () => {
  it('registers brokers unfenced, with a new epoch on each registration', () => {
    const c = cluster(3)
    expect(c.image.liveBrokers().map((b) => b.id)).toEqual([1, 2, 3])
    c.commit(c.registerBroker(2, '127.0.0.1', 9093).records)
    expect(c.image.brokers.get(2)?.epoch).toBe(1)
    expect(c.image.brokers.get(2)?.fenced).toBe(false)
  })

  it('creates a topic with broker defaults: 3 partitions, replication clamped to the brokers', () => {
    const c = cluster(2)
    const result = c.createTopic({ name: 'orders', numPartitions: -1, replicationFactor: -1 })
    expect(result.errorCode).toBe(ErrorCode.NONE)
    expect(result.value).toMatchObject({ numPartitions: 3, replicationFactor: 2 })
    c.commit(result.records)
    const topic = c.image.topicsByName.get('orders')!
    expect(topic.partitions).toHaveLength(3)
    for (const p of topic.partitions) {
      expect(p.replicas).toHaveLength(2)
      expect(new Set(p.replicas).size).toBe(2)
      expect(p.leader).toBe(p.replicas[0])
      expect(p.isr).toEqual(p.replicas)
    }
  })

  it('spreads leaders evenly over the brokers', () => {
    const assignment = assignReplicas([1, 2, 3], 6, 3, seededRng(7))
    const leaders = assignment.map((r) => r[0])
    for (const id of [1, 2, 3]) expect(leaders.filter((l) => l === id)).toHaveLength(2)
    for (const r of assignment) expect(new Set(r).size).toBe(3)
  })

  it('is deterministic for a seed', () => {
    const a = cluster(3, 42).createTopic({ name: 't', numPartitions: 5, replicationFactor: 2 })
    const b = cluster(3, 42).createTopic({ name: 't', numPartitions: 5, replicationFactor: 2 })
    expect(a.records).toEqual(b.records)
  })

  it('answers Kafka error codes for bad requests', () => {
    const c = cluster(3)
    c.commit(c.createTopic({ name: 'exists', numPartitions: 1, replicationFactor: 1 }).records)
    const cases: [Parameters<Controller['createTopic']>[0], number][] = [
      [{ name: 'exists', numPartitions: 1, replicationFactor: 1 }, ErrorCode.TOPIC_ALREADY_EXISTS],
      [{ name: 'bad name!', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION],
      [{ name: '..', numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION],
      [{ name: 'x'.repeat(250), numPartitions: 1, replicationFactor: 1 }, ErrorCode.INVALID_TOPIC_EXCEPTION],
      [{ name: 'p0', numPartitions: 0, replicationFactor: 1 }, ErrorCode.INVALID_PARTITIONS],
      [{ name: 'rf4', numPartitions: 1, replicationFactor: 4 }, ErrorCode.INVALID_REPLICATION_FACTOR],
      [{ name: 'cfg', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'nope', value: '1' }] }, ErrorCode.INVALID_CONFIG],
      [
        { name: 'cfg2', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: 'soon' }] },
        ErrorCode.INVALID_CONFIG,
      ],
    ]
    for (const [req, code] of cases) {
      const result = c.createTopic(req)
      expect(result.errorCode, req.name).toBe(code)
      expect(result.errorMessage).toBeTruthy()
      expect(result.records).toEqual([])
    }
  })

  it('commits many ISR changes in one command, each checked as alone', () => {
    const c = cluster(3)
    c.commit(c.createTopic({ name: 't', numPartitions: 3, replicationFactor: 3 }).records)
    const parts = c.image.topicsByName.get('t')!.partitions
    const shrink = (i: number, epoch = parts[i]!.partitionEpoch) => {
      const p = parts[i]!
      return { brokerId: p.leader, topicId: p.topicId, partition: i, leaderEpoch: p.leaderEpoch, partitionEpoch: epoch, isr: [p.leader] }
    }
    const result = c.alterIsrs([shrink(0), shrink(1, 7), shrink(2)])
    expect(result.value!.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_UPDATE_VERSION, ErrorCode.NONE])
    expect(result.records).toHaveLength(2)
    c.commit(result.records)
    expect(c.image.topicsByName.get('t')!.partitions.map((p) => p.isr.length)).toEqual([1, 3, 1])
  })

  describe('createPartitions', () => {
    const grown = (c: Controller, name: string) => c.image.topicsByName.get(name)!.partitions

    it('adds partitions with the topic\'s replication factor, as partition records like topic creation writes', () => {
      const c = cluster(3)
      c.commit(c.createTopic({ name: 't', numPartitions: 2, replicationFactor: 2 }).records)
      const result = c.createPartitions({ name: 't', count: 5, assignments: null })
      expect(result.errorCode).toBe(ErrorCode.NONE)
      expect(result.value).toMatchObject({ added: 3 })
      expect(result.records.map((r) => r.type)).toEqual(['partition', 'partition', 'partition'])
      c.commit(result.records)
      const parts = grown(c, 't')
      expect(parts.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4])
      for (const p of parts.slice(2)) {
        expect(p.replicas).toHaveLength(2)
        expect(new Set(p.replicas).size).toBe(2)
        expect(p.leader).toBe(p.replicas[0])
        expect(p.isr).toEqual(p.replicas)
        expect(p.leaderEpoch).toBe(0)
      }
    })

    it('continues the topic\'s placement: leaders keep spreading evenly', () => {
      const c = cluster(3, 5)
      c.commit(c.createTopic({ name: 't', numPartitions: 3, replicationFactor: 3 }).records)
      c.commit(c.createPartitions({ name: 't', count: 6, assignments: null }).records)
      const leaders = grown(c, 't').map((p) => p.leader)
      for (const id of [1, 2, 3]) expect(leaders.filter((l) => l === id)).toHaveLength(2)
      // The same as placing all six at once from the topic's start.
      const first = grown(c, 't')[0]!.replicas[0]!
      const all = assignReplicas([1, 2, 3], 6, 3, seededRng(0), { startIndex: first - 1, firstPartition: 0 })
      expect(grown(c, 't').slice(3).map((p) => p.replicas[0])).toEqual(all.slice(3).map((r) => r[0]))
    })

    it('takes explicit assignments, the first live replica leading', () => {
      const c = cluster(3)
      c.commit(c.createTopic({ name: 't', numPartitions: 1, replicationFactor: 2 }).records)
      c.commit(c.fenceBroker(3, 'down').records)
      const result = c.createPartitions({ name: 't', count: 3, assignments: [[3, 1], [2, 1]] })
      expect(result.errorCode).toBe(ErrorCode.NONE)
      c.commit(result.records)
      expect(grown(c, 't')[1]).toMatchObject({ replicas: [3, 1], isr: [1], leader: 1 })
      expect(grown(c, 't')[2]).toMatchObject({ replicas: [2, 1], isr: [2, 1], leader: 2 })
    })

    it('answers Kafka\'s errors, and writes nothing', () => {
      const c = cluster(3)
      c.commit(c.createTopic({ name: 't', numPartitions: 2, replicationFactor: 2 }).records)
      const cases: [Parameters<Controller['createPartitions']>[0], number, RegExp][] = [
        [{ name: 'nope', count: 3, assignments: null }, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, /does not host/],
        [{ name: 't', count: 2, assignments: null }, ErrorCode.INVALID_PARTITIONS, /already has 2 partition/],
        [{ name: 't', count: 1, assignments: null }, ErrorCode.INVALID_PARTITIONS, /currently has 2 partition\(s\); 1 would not be an increase/],
        [{ name: 't', count: 4, assignments: [[1, 2]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, /add 2 additional partition\(s\), but only 1/],
        [{ name: 't', count: 3, assignments: [[]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, /empty replica list/],
        [{ name: 't', count: 3, assignments: [[1, 1]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, /broker 1 more than once/],
        [{ name: 't', count: 3, assignments: [[1, 9]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, /broker 9, but no such broker/],
        [{ name: 't', count: 3, assignments: [[1, 2, 3]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, /3 replica\(s\).*which have 2/],
      ]
      for (const [req, code, message] of cases) {
        const result = c.createPartitions(req)
        expect(result.errorCode, JSON.stringify(req)).toBe(code)
        expect(result.errorMessage).toMatch(message)
        expect(result.records).toEqual([])
      }
    })

    it('refuses an assignment of fenced brokers only, and automatic placement over too few live brokers', () => {
      const c = cluster(3)
      c.commit(c.createTopic({ name: 't', numPartitions: 1, replicationFactor: 2 }).records)
      c.commit(c.fenceBroker(2, 'down').records)
      c.commit(c.fenceBroker(3, 'down').records)
      const fencedOnly = c.createPartitions({ name: 't', count: 2, assignments: [[2, 3]] })
      expect(fencedOnly.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT)
      expect(fencedOnly.errorMessage).toMatch(/partition 1 are fenced/)
      expect(c.createPartitions({ name: 't', count: 2, assignments: [[2, 1]] }).errorCode).toBe(ErrorCode.NONE)
      const tooFew = c.createPartitions({ name: 't', count: 2, assignments: null })
      expect(tooFew.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR)
      expect(tooFew.errorMessage).toMatch(/Replication factor: 2 larger than available brokers: 1/)
    })

    it('applies the partition limits to the new total and to the cluster', () => {
      const c = cluster(3)
      c.commit(c.createTopic({ name: 't', numPartitions: 2, replicationFactor: 1 }).records)
      c.commit(c.alterConfigs('broker', '', [{ name: 'max.topic.partitions', value: '4' }], false).records)
      expect(c.createPartitions({ name: 't', count: 5, assignments: null }).errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
      c.commit(c.alterConfigs('broker', '', [{ name: 'max.partitions', value: '3' }], false).records)
      expect(c.createPartitions({ name: 't', count: 4, assignments: null }).errorCode).toBe(ErrorCode.POLICY_VIOLATION)
      expect(c.createPartitions({ name: 't', count: 3, assignments: null }).errorCode).toBe(ErrorCode.NONE)
    })

    it('replaying the committed records gives the same image', () => {
      const c = cluster(3)
      const records = [...c.createTopic({ name: 't', numPartitions: 1, replicationFactor: 2 }).records]
      c.commit(records)
      const more = c.createPartitions({ name: 't', count: 4, assignments: null }).records
      c.commit(more)
      const replayed = cluster(3)
      replayed.commit([...records, ...more])
      expect(replayed.image.topicsByName.get('t')).toEqual(c.image.topicsByName.get('t'))
    })
  })

  describe('partition limits', () => {
    const setBroker = (c: Controller, name: string, value: string): void => c.commit(c.alterConfigs('broker', '', [{ name, value }], false).records)

    it('refuses more partitions than max.topic.partitions with INVALID_PARTITIONS, before placing anything', () => {
      const c = cluster(3)
      // The count of the issue: 100,000 partitions must be refused, not placed.
      const result = c.createTopic({ name: 'huge', numPartitions: 100_000, replicationFactor: 3 })
      expect(result.errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
      expect(result.errorMessage).toContain('max.topic.partitions 10000')
      expect(result.errorMessage).toContain('--add-config max.topic.partitions=')
      expect(result.records).toEqual([])
      // A count far beyond any memory is refused the same way (nothing is allocated for it).
      expect(c.createTopic({ name: 'absurd', numPartitions: 2 ** 31 - 1, replicationFactor: 1 }).errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
      // Explicit assignments count too.
      setBroker(c, 'max.topic.partitions', '2')
      const assignments = [0, 1, 2].map((i) => ({ partitionIndex: i, brokerIds: [1] }))
      expect(c.createTopic({ name: 'manual', numPartitions: -1, replicationFactor: -1, assignments }).errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
      // The default count (num.partitions) is checked like an explicit one.
      setBroker(c, 'num.partitions', '3')
      expect(c.createTopic({ name: 'dflt', numPartitions: -1, replicationFactor: -1 }).errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
    })

    it('accepts up to the limit, and a raised limit at once', () => {
      const c = cluster(3)
      setBroker(c, 'max.topic.partitions', '4')
      expect(c.createTopic({ name: 'four', numPartitions: 4, replicationFactor: 1 }).errorCode).toBe(ErrorCode.NONE)
      expect(c.createTopic({ name: 'five', numPartitions: 5, replicationFactor: 1 }).errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
      setBroker(c, 'max.topic.partitions', '5')
      expect(c.createTopic({ name: 'five', numPartitions: 5, replicationFactor: 1 }).errorCode).toBe(ErrorCode.NONE)
    })

    it('refuses what would exceed max.partitions in the cluster with POLICY_VIOLATION', () => {
      const c = cluster(3)
      setBroker(c, 'max.partitions', '10')
      c.commit(c.createTopic({ name: 'a', numPartitions: 6, replicationFactor: 1 }).records)
      const result = c.createTopic({ name: 'b', numPartitions: 5, replicationFactor: 1 })
      expect(result.errorCode).toBe(ErrorCode.POLICY_VIOLATION)
      expect(result.errorMessage).toContain('max.partitions 10 (6 exist)')
      expect(result.records).toEqual([])
      expect(c.createTopic({ name: 'b', numPartitions: 4, replicationFactor: 1 }).errorCode).toBe(ErrorCode.NONE)
    })

    it('refuses what would put more than max.broker.partitions replicas on a broker with POLICY_VIOLATION', () => {
      const c = cluster(3)
      setBroker(c, 'max.broker.partitions', '4')
      // 3 partitions x RF 3: 3 replicas on every broker.
      c.commit(c.createTopic({ name: 'a', numPartitions: 3, replicationFactor: 3 }).records)
      const result = c.createTopic({ name: 'b', numPartitions: 2, replicationFactor: 3 })
      expect(result.errorCode).toBe(ErrorCode.POLICY_VIOLATION)
      expect(result.errorMessage).toMatch(/put 5 partition replicas on broker 1, over max.broker.partitions 4 \(it hosts 3\)/)
      // One more partition of RF 3 still fits (4 on each broker).
      expect(c.createTopic({ name: 'b', numPartitions: 1, replicationFactor: 3 }).errorCode).toBe(ErrorCode.NONE)
      // Explicit assignments are counted on the brokers they name.
      const onBroker2 = [0, 1].map((i) => ({ partitionIndex: i, brokerIds: [2] }))
      expect(c.createTopic({ name: 'm', numPartitions: -1, replicationFactor: -1, assignments: onBroker2 }).errorCode).toBe(ErrorCode.POLICY_VIOLATION)
    })

    it('rejects invalid limit values as any broker config', () => {
      const c = cluster(1)
      expect(c.alterConfigs('broker', '', [{ name: 'max.partitions', value: '0' }], false).errorCode).toBe(ErrorCode.INVALID_CONFIG)
      expect(c.alterConfigs('broker', '', [{ name: 'max.broker.partitions', value: 'many' }], false).errorCode).toBe(ErrorCode.INVALID_CONFIG)
    })
  })

  it('stores explicit configs and alters them', () => {
    const c = cluster(1)
    c.commit(c.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1000' }] }).records)
    expect(c.image.topicsByName.get('t')!.configs.get('retention.ms')).toBe('1000')
    c.commit(c.alterConfigs('topic', 't', [{ name: 'cleanup.policy', value: 'compact' }], false).records)
    expect([...c.image.topicsByName.get('t')!.configs]).toEqual([
      ['retention.ms', '1000'],
      ['cleanup.policy', 'compact'],
    ])
    c.commit(c.alterConfigs('topic', 't', [{ name: 'retention.bytes', value: '10' }], true).records)
    expect([...c.image.topicsByName.get('t')!.configs]).toEqual([['retention.bytes', '10']])
    expect(c.alterConfigs('topic', 'missing', [], false).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  it('deletes a topic by name or id, and the name can be reused with a new id', () => {
    const c = cluster(1)
    const first = c.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1 })
    c.commit(first.records)
    c.commit(c.deleteTopic({ name: 't' }).records)
    expect(c.image.topicsByName.has('t')).toBe(false)
    expect(c.deleteTopic({ name: 't' }).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const second = c.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1 })
    c.commit(second.records)
    expect(second.value!.topicId).not.toBe(first.value!.topicId)
    c.commit(c.deleteTopic({ topicId: second.value!.topicId }).records)
    expect(c.image.topicsById.size).toBe(0)
  })

  it('replaying the committed records gives the same image', () => {
    const c = cluster(3)
    const records = c.createTopic({ name: 'a', numPartitions: 4, replicationFactor: 3 }).records
    c.commit(records)
    const replayed = new Controller(new MetadataImage(), seededRng(9))
    for (const id of [1, 2, 3]) replayed.commit(replayed.registerBroker(id, '127.0.0.1', 9091 + id).records)
    replayed.commit(records)
    expect(replayed.image.topicsByName.get('a')).toEqual(c.image.topicsByName.get('a'))
  })

  describe('a corrupt replica (replicaCorrupt)', () => {
    function withTopic(): { c: Controller; topicId: string } {
      const c = cluster(3)
      c.commit(c.createTopic({ name: 't', numPartitions: 1, replicationFactor: 3 }).records)
      return { c, topicId: c.image.topicsByName.get('t')!.topicId }
    }

    it('takes a leader out of the ISR and elects a healthy ISR member', () => {
      const { c, topicId } = withTopic()
      // The image's partition objects change in place: keep a copy.
      const before = structuredClone(c.image.partition('t', 0)!)
      const result = c.replicaCorrupt({ brokerId: before.leader, topicId, partition: 0, reason: 'bad batch' })
      expect(result.errorCode).toBe(ErrorCode.NONE)
      c.commit(result.records)
      const after = c.image.partition('t', 0)!
      expect(after.isr).not.toContain(before.leader)
      expect(after.isr).toContain(after.leader)
      expect(after.leader).not.toBe(before.leader)
      expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch)
    })

    it('takes a follower out of the ISR, leadership unchanged', () => {
      const { c, topicId } = withTopic()
      const before = structuredClone(c.image.partition('t', 0)!)
      const follower = before.replicas.find((id) => id !== before.leader)!
      c.commit(c.replicaCorrupt({ brokerId: follower, topicId, partition: 0, reason: 'bad batch' }).records)
      const after = c.image.partition('t', 0)!
      expect(after.leader).toBe(before.leader)
      expect(after.isr).toEqual(before.isr.filter((id) => id !== follower))
    })

    it('hands the last ISR member\'s leadership to a live replica outside the ISR, as an unclean election', () => {
      const { c, topicId } = withTopic()
      const p = c.image.partition('t', 0)!
      const [last, ...others] = p.replicas
      for (const id of others) c.commit(c.fenceBroker(id!, 'down').records)
      for (const id of others) c.commit(c.registerBroker(id!, '127.0.0.1', 9091 + id!).records)
      expect(c.image.partition('t', 0)!.isr).toEqual([last])
      const result = c.replicaCorrupt({ brokerId: last!, topicId, partition: 0, reason: 'lost tail' })
      expect(result.records).toMatchObject([{ type: 'partitionChange', leader: others[0], isr: [others[0]], unclean: true }])
    })

    it('refuses when no other replica is live: the damaged one is the only copy', () => {
      const { c, topicId } = withTopic()
      const p = c.image.partition('t', 0)!
      for (const id of p.replicas.filter((r) => r !== p.leader)) c.commit(c.fenceBroker(id, 'down').records)
      const result = c.replicaCorrupt({ brokerId: p.leader, topicId, partition: 0, reason: 'bad batch' })
      expect(result.errorCode).toBe(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE)
      expect(result.records).toEqual([])
    })
  })
})
