/**
 * Snapshots of the metadata log on the daemon's real wiring (startCluster: three brokers, each a
 * controller voter with its LevelDB store under <home>/controllers/<id>): with
 * metadata.log.max.record.bytes.between.snapshots lowered, many topic config changes make the
 * voters snapshot and drop their entries below; a voter stopped before them, whose log ends below
 * the leader's snapshot, catches up once started (DescribeQuorum says so); the stores, read after
 * the cluster closed, hold snapshots past that voter's old log end and few entries; a restart of
 * the whole cluster comes back with every topic and config, and `cluster events` starts with the
 * snapshot (the image at its offset) as one event.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { brokersOfShape } from '../../src/common/daemon-config.js'
import { startCluster, type ClusterRuntime } from '../../src/daemon/cluster-runtime.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { METADATA_TOPIC } from '../../src/protocol/messages/55-describe-quorum.js'
import { LevelRaftLogStore } from '../../src/storage/raft-log-store.js'
import { incrementalBrokerConfigs } from '../helpers/broker-configs.js'
import { until } from '../helpers/wait.js'
import { freeConsecutivePorts } from '../interop/fixture.js'
import { brokerClients } from '../support/broker-clients.js'

const SNAPSHOT_BYTES = '2000' // a topic config change's entry is about 200 bytes: a snapshot every ten or so
const CHANGES = 60
const TOPICS = ['snap-a', 'snap-b', 'snap-c']
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-snap-'))
let runtime: ClusterRuntime | null = null
afterAll(async () => {
  await runtime?.close()
  fs.rmSync(home, { recursive: true, force: true })
})

/** What voter `id`'s store holds (its voter stopped: the store is not locked). */
async function readStore(id: number): Promise<{ snapshotOffset: number | null; entries: number; endOffset: number }> {
  const store = new LevelRaftLogStore(path.join(home, 'controllers', String(id)))
  try {
    const { snapshot, entries } = await store.open()
    const start = snapshot?.offset ?? 0
    return { snapshotOffset: snapshot?.offset ?? null, entries: entries.length, endOffset: start + entries.length }
  } finally {
    await store.close()
  }
}

it('daemon/quorum snapshots: voters snapshot and truncate, a voter down meanwhile catches up, a restart keeps everything', async () => {
  const port = await freeConsecutivePorts(3)
  const start = async (): Promise<ClusterRuntime> => startCluster({ home, brokers: brokersOfShape({ brokers: 3, port, firstBrokerId: 1 }), host: '127.0.0.1', log: quiet })
  runtime = await start()
  const clients = brokerClients((id) => port + id - 1)
  let endWhenDown = -1
  try {
    await incrementalBrokerConfigs({ port })({ 'metadata.log.max.record.bytes.between.snapshots': SNAPSHOT_BYTES })
    for (const topic of TOPICS) await clients.createTopic(topic)

    await runtime.killBroker(3, { clean: true })
    endWhenDown = (await readStore(3)).endOffset

    const setRetention = async (topic: string, value: string): Promise<void> => {
      const res = await (await clients.broker(1)).request(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'retention.ms', configOperation: 0, value }] }],
        validateOnly: false,
      })
      expect([res.responses[0].errorCode, res.responses[0].errorMessage]).toEqual([ErrorCode.NONE, null])
    }
    for (let i = 0; i < CHANGES; i++) await setRetention(TOPICS[i % TOPICS.length]!, String(60_000 + i))

    await runtime.startBroker(3)
    // Caught up: voter 3's log reaches the leader's end, as DescribeQuorum tells it (or voter 3
    // leads: a leader holds everything committed).
    await until('voter 3 caught up with the leader', async () => {
      const res = await (await clients.broker(1)).request(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] })
      const p = res.topics[0].partitions[0]
      const ends = new Map<number, number>(p.currentVoters.map((v: { replicaId: number; logEndOffset: number }) => [v.replicaId, Number(v.logEndOffset)]))
      const leaderEnd = ends.get(p.leaderId)
      return leaderEnd !== undefined && leaderEnd > endWhenDown && ends.get(3) === leaderEnd ? true : undefined
    })
  } finally {
    clients.close()
  }

  await runtime.close()
  runtime = null
  for (const id of [1, 2, 3]) {
    const held = await readStore(id)
    // Every voter holds a snapshot past where voter 3's log ended when it stopped (voter 3 could
    // only have it from the leader, which had dropped the entries it lacked), and fewer entries
    // than the changes committed since.
    expect(held.snapshotOffset).toBeGreaterThan(endWhenDown)
    expect(held.entries).toBeLessThan(CHANGES)
  }

  runtime = await start()
  const image = runtime.image
  expect(TOPICS.every((t) => image.topicsByName.has(t))).toBe(true)
  for (let i = CHANGES - TOPICS.length; i < CHANGES; i++) {
    expect(image.topicsByName.get(TOPICS[i % TOPICS.length]!)!.configs.get('retention.ms')).toBe(String(60_000 + i))
  }
  expect(image.brokerConfigs.get('metadata.log.max.record.bytes.between.snapshots')).toBe(SNAPSHOT_BYTES)

  // The snapshot holds the image: `cluster events` starts with it as one event, at the offset of
  // its last record, and tells no topic created before it (those records left the log).
  const events = (await runtime.events()).filter((e) => e.offset !== null)
  expect(events[0]).toMatchObject({ type: 'metadata.snapshot', brokers: 3, topics: TOPICS.length, partitions: TOPICS.length })
  expect(events.filter((e) => e.type === 'topic.created')).toEqual([])
  expect(events.slice(1).every((e) => e.offset! > events[0]!.offset!)).toBe(true)
  expect(events.at(-1)!.offset).toBe(image.offset)
})
