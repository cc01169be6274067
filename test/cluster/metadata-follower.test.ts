import { describe, expect, it } from 'vitest'
import { Controller } from '../../src/cluster/controller.js'
import { MetadataFollower } from '../../src/cluster/metadata-follower.js'
import { MetadataImage, type MetadataRecord } from '../../src/cluster/metadata.js'
import { seededRng } from '../../src/cluster/rng.js'

/** A controller whose commits a follower is offered, as ClusterNode offers a broker's follower. */
function setup(maxPending?: number) {
  const c = new Controller(new MetadataImage(), seededRng(2))
  let position = 0
  const commit = (records: MetadataRecord[]): [MetadataRecord[], number, number] => {
    const first = c.image.offset + 1
    c.commit(records)
    position += 2 // a Raft entry and a LeaderChange, say: positions are not metadata offsets
    return [records, first, position]
  }
  for (let id = 1; id <= 3; id++) commit(c.registerBroker(id, '127.0.0.1', 9091 + id).records)
  const follower = new MetadataFollower(() => ({ image: c.image, position }), maxPending)
  return { c, commit, follower }
}

describe('cluster/metadata-follower', () => {
  it('starts from the committed image, and applies what it is offered only when it catches up', () => {
    const { c, commit, follower } = setup()
    expect(follower.offset).toBe(c.image.offset)
    expect(follower.image).not.toBe(c.image)
    follower.offer(...commit(c.createTopic({ name: 'a', numPartitions: 2, replicationFactor: 3 }).records))
    // Offered, not applied: the broker answers from its image as it was.
    expect(follower.lagging).toBe(true)
    expect(follower.image.topicsByName.has('a')).toBe(false)
    follower.offer(...commit(c.createTopic({ name: 'b', numPartitions: 1, replicationFactor: 1 }).records))
    const applied = follower.catchUp()
    expect(Array.isArray(applied) && applied.map((r) => r.type)).toEqual(['topic', 'partition', 'partition', 'topic', 'partition'])
    expect(follower.offset).toBe(c.image.offset)
    expect(follower.position).toBe(10)
    expect(follower.image.topicsByName.get('a')!.partitions).toEqual(c.image.topicsByName.get('a')!.partitions)
    expect(follower.catchUp()).toBeNull()
  })

  it('a gap in what it is offered, or too much waiting, loads a snapshot of the committed image instead', () => {
    const { c, commit, follower } = setup(3)
    commit(c.createTopic({ name: 'missed', numPartitions: 1, replicationFactor: 1 }).records) // never offered
    follower.offer(...commit(c.createTopic({ name: 'next', numPartitions: 1, replicationFactor: 1 }).records))
    expect(follower.catchUp()).toBe('all')
    expect(follower.image.topicsByName.has('missed')).toBe(true)
    expect(follower.offset).toBe(c.image.offset)

    follower.offer(...commit(c.createTopic({ name: 'big', numPartitions: 3, replicationFactor: 1 }).records))
    expect(follower.catchUp()).toBe('all') // 4 records waiting: more than 3
    expect(follower.image.topicsByName.get('big')!.partitions).toHaveLength(3)
    // The same image object all along: what holds it sees the snapshot.
    const image = follower.image
    follower.load()
    expect(follower.image).toBe(image)
  })

  it('what it already has (a snapshot loaded after the commit) is not applied twice', () => {
    const { c, commit, follower } = setup()
    const offered = commit(c.createTopic({ name: 'a', numPartitions: 1, replicationFactor: 1 }).records)
    follower.load()
    follower.offer(...offered)
    expect(follower.lagging).toBe(false)
    expect(follower.catchUp()).toBeNull()
  })
})
