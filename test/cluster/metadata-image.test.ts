import { describe, expect, it } from 'vitest'
import { Controller } from '../../src/cluster/controller.js'
import { imageRecords, MetadataImage } from '../../src/cluster/metadata.js'
import { seededRng } from '../../src/cluster/rng.js'

/** An image that went through most kinds of record: registrations, fences, topics, configs, moves, deletions, producer ids. */
function busyController(): Controller {
  const c = new Controller(new MetadataImage(), seededRng(3))
  const commit = (r: { records: Parameters<Controller['commit']>[0] }): void => c.commit(r.records)
  for (let id = 1; id <= 4; id++) commit(c.registerBroker(id, '127.0.0.1', 9091 + id))
  commit(c.createTopic({ name: 'orders', numPartitions: 4, replicationFactor: 3, configs: [{ name: 'cleanup.policy', value: 'compact' }] }))
  commit(c.createTopic({ name: 'gone', numPartitions: 1, replicationFactor: 1 }))
  commit(c.alterConfigs('broker', '', [{ name: 'min.insync.replicas', value: '2' }], false))
  commit(c.fenceBroker(2, 'test'))
  commit(c.registerBroker(2, '127.0.0.1', 9093))
  commit(c.fenceBroker(4, 'test'))
  const topic = c.image.topicsByName.get('orders')!
  commit(c.alterPartitionReassignments([{ topic: 'orders', partition: 1, replicas: [1, 2, 3].filter((id) => id !== topic.partitions[1]!.leader).concat([4]) }]))
  commit(c.deleteTopic({ name: 'gone' }))
  commit(c.allocateProducerIds(1000))
  return c
}

/** What an image holds, as plain data to compare. */
function contents(image: MetadataImage): unknown {
  return {
    brokers: [...image.brokers.values()],
    topics: [...image.topicsById.values()].map((t) => ({ ...t, configs: [...t.configs] })),
    byName: [...image.topicsByName.keys()],
    brokerConfigs: [...image.brokerConfigs],
    nextProducerId: image.nextProducerId,
    offset: image.offset,
  }
}

describe('cluster/metadata: the image as records (snapshots)', () => {
  it('rebuilds an equal image from its records, at its offset', () => {
    const c = busyController()
    const copy = c.image.copy()
    expect(contents(copy)).toEqual(contents(c.image))
    expect(copy.staticBrokerConfigs).toBe(c.image.staticBrokerConfigs)
    // The copy shares nothing: changing one leaves the other.
    copy.topicsByName.get('orders')!.partitions[0]!.isr.push(99)
    expect(c.image.topicsByName.get('orders')!.partitions[0]!.isr).not.toContain(99)
  })

  it('is fewer records than the history, and the fenced broker stays fenced', () => {
    const c = busyController()
    const records = imageRecords(c.image)
    expect(records.length).toBeLessThan(c.image.offset + 1)
    const image = MetadataImage.fromSnapshot(records, c.image.offset, new Map())
    expect(image.brokers.get(4)?.fenced).toBe(true)
    expect(image.brokers.get(2)).toEqual(c.image.brokers.get(2))
    expect(image.topicsByName.has('gone')).toBe(false)
  })

  it('records after the snapshot apply to the rebuilt image as to the original', () => {
    const c = busyController()
    const copy = c.image.copy()
    const more = c.createTopic({ name: 'later', numPartitions: 2, replicationFactor: 2 }).records
    c.commit(more)
    let offset = copy.offset
    for (const r of more) copy.apply(r, ++offset)
    expect(contents(copy)).toEqual(contents(c.image))
  })
})
