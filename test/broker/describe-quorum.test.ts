/**
 * DescribeQuorum (55) as Kafka 3.9 serves it: the handler on a quorum's view (a leader, lagging
 * and silent voters, no leader), per version through the codec; then on a running cluster whose
 * metadata log is one store (its controller the one voter), over TCP through sluice's codec at
 * v0-2 and through @platformatic/kafka's own DescribeQuorum v2.
 */
import { Connection, describeQuorumV2 } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../src/broker/handlers/index.js'
import type { Broker } from '../../src/broker/broker.js'
import type { ClusterView } from '../../src/broker/cluster-view.js'
import { handlerFor, type RequestContext } from '../../src/broker/handler.js'
import { MetadataImage } from '../../src/cluster/metadata.js'
import type { QuorumView } from '../../src/cluster/raft/quorum-view.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { decode, encode } from '../../src/protocol/codec.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { DescribeQuorumResponse, METADATA_TOPIC } from '../../src/protocol/messages/55-describe-quorum.js'
import { ZERO_UUID } from '../../src/protocol/primitives.js'
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import { seededRng } from '../../src/cluster/rng.js'
import { QuorumMetadataLog } from '../../src/daemon/quorum-metadata-log.js'
import { InProcessTransport } from '../../src/daemon/quorum-transport.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { VirtualScheduler } from '../sim/scheduler.js'
import { runUntilSettled } from '../helpers/virtual-time.js'
import { RawClient } from '../support/raw-client.js'

const NOW_MS = 1_800_000_000_000
const askMetadataLog = { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] }

/** Brokers 1-3 registered on 127.0.0.1:9092-9094; voters 1-3 and 7 (a voter that is no broker). */
function imageWithBrokers(): MetadataImage {
  const image = new MetadataImage()
  for (const id of [1, 2, 3]) image.apply({ type: 'registerBroker', brokerId: id, host: '127.0.0.1', port: 9091 + id, rack: null, brokerEpoch: 1 }, id - 1)
  return image
}

/** The handler's answer at `version`, as a client decodes it off the wire. */
function ask(version: number, cluster: Partial<ClusterView>, request: unknown = askMetadataLog, nowMs = () => NOW_MS) {
  const broker = { cluster: { clusterId: 'c', controllerId: 1, image: new MetadataImage(), ...cluster }, scheduler: { nowMs } } as unknown as Broker
  const ctx: RequestContext = { broker, apiVersion: version, correlationId: 1, clientId: 'test', clientHost: '127.0.0.1' }
  const answer = handlerFor(ApiKey.DescribeQuorum)!.handle(ctx, request)
  return decode(DescribeQuorumResponse, version, encode(DescribeQuorumResponse, version, answer as never))
}

const threeVoters: QuorumView = {
  leaderId: 2,
  epoch: 5,
  highWatermark: 40,
  voters: [
    { id: 1, running: true, logEndOffset: 38, lastFetchMs: NOW_MS - 30, lastCaughtUpMs: NOW_MS - 500 },
    { id: 2, running: true, logEndOffset: 42, lastFetchMs: NOW_MS, lastCaughtUpMs: NOW_MS },
    { id: 7, running: false, logEndOffset: -1, lastFetchMs: null, lastCaughtUpMs: null },
  ],
}

describe('broker/DescribeQuorum', () => {
  it("v2 answers the leader's view: voters' log ends and times (the leader's now), no directory ids, broker voters' listeners", () => {
    const res = ask(2, { image: imageWithBrokers(), quorum: () => threeVoters })
    expect(res.errorCode).toBe(ErrorCode.NONE)
    expect(res.errorMessage).toBe('')
    const [p] = res.topics[0]!.partitions
    expect(res.topics[0]!.topicName).toBe(METADATA_TOPIC)
    expect(p).toMatchObject({ partitionIndex: 0, errorCode: ErrorCode.NONE, leaderId: 2, leaderEpoch: 5, highWatermark: 40, observers: [] })
    expect(p!.currentVoters).toEqual([
      { replicaId: 1, replicaDirectoryId: ZERO_UUID, logEndOffset: 38, lastFetchTimestamp: NOW_MS - 30, lastCaughtUpTimestamp: NOW_MS - 500 },
      { replicaId: 2, replicaDirectoryId: ZERO_UUID, logEndOffset: 42, lastFetchTimestamp: NOW_MS, lastCaughtUpTimestamp: NOW_MS },
      { replicaId: 7, replicaDirectoryId: ZERO_UUID, logEndOffset: -1, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 },
    ])
    expect(res.nodes).toEqual([
      { nodeId: 1, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }] },
      { nodeId: 2, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9093 }] },
      { nodeId: 7, listeners: [] },
    ])
  })

  it('v0 carries log ends only; v1 adds the times, not the nodes', () => {
    const v0 = ask(0, { quorum: () => threeVoters })
    expect(v0.topics[0]!.partitions[0]!.currentVoters[0]).toEqual({ replicaId: 1, replicaDirectoryId: ZERO_UUID, logEndOffset: 38, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 })
    const v1 = ask(1, { image: imageWithBrokers(), quorum: () => threeVoters })
    expect(v1.topics[0]!.partitions[0]!.currentVoters[0]).toMatchObject({ lastFetchTimestamp: NOW_MS - 30, lastCaughtUpTimestamp: NOW_MS - 500 })
    expect(v1.nodes).toEqual([])
  })

  it('no leader (an election, or no majority up): NOT_LEADER_OR_FOLLOWER on the partition, as KafkaRaftClient answers', () => {
    const res = ask(2, { quorum: () => ({ leaderId: null, epoch: 6, highWatermark: -1, voters: threeVoters.voters }) })
    expect(res.errorCode).toBe(ErrorCode.NONE)
    expect(res.topics).toEqual([
      {
        topicName: METADATA_TOPIC,
        partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: expect.stringContaining('not the current leader'), leaderId: 0, leaderEpoch: 0, highWatermark: 0, currentVoters: [], observers: [] }],
      },
    ])
    expect(res.nodes).toEqual([])
  })

  it('any other topic or partition, or more than one: UNKNOWN_TOPIC_OR_PARTITION on each partition asked', () => {
    for (const topics of [
      [{ topicName: 'orders', partitions: [{ partitionIndex: 0 }] }],
      [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 1 }] }],
      [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }],
    ]) {
      const res = ask(2, { quorum: () => threeVoters }, { topics })
      expect(res.errorCode).toBe(ErrorCode.NONE)
      expect(res.topics.map((t) => [t.topicName, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual(
        topics.map((t) => [t.topicName, t.partitions.map((p) => [p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])]),
      )
    }
    expect(ask(2, {}, { topics: [] }).topics).toEqual([])
  })

  it("without a quorum, the controller is the one voter and leader of epoch 1, its log end the metadata log's next offset", () => {
    const image = imageWithBrokers()
    const p = ask(2, { image, controllerId: 3 }).topics[0]!.partitions[0]!
    expect(p).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: 3, leaderEpoch: 1, highWatermark: image.offset + 1 })
    expect(p.currentVoters).toEqual([{ replicaId: 3, replicaDirectoryId: ZERO_UUID, logEndOffset: image.offset + 1, lastFetchTimestamp: NOW_MS, lastCaughtUpTimestamp: NOW_MS }])
    // No live controller: no leader.
    expect(ask(2, { image, controllerId: -1 }).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  })
})

describe('broker/DescribeQuorum on a QuorumMetadataLog', () => {
  const run = runUntilSettled

  it("answers the quorum's own view: three voters caught up behind the leader; a majority crashed: no leader", async () => {
    const sched = new VirtualScheduler()
    const stores = new Map([1, 2, 3].map((id) => [id, new MemoryRaftLogStore()]))
    const q = new QuorumMetadataLog({
      voterIds: [1, 2, 3],
      storeOf: (id) => stores.get(id)!,
      transport: new InProcessTransport(sched, () => 1),
      scheduler: sched,
      rng: seededRng(5),
      raft: { electionTimeoutMs: 100, fetchTimeoutMs: 200, electionBackoffMaxMs: 100, requestTimeoutMs: 200, fetchIntervalMs: 10 },
      newClusterId: () => 'quorum-test',
    })
    await run(sched, q.open())
    await run(sched, q.clusterId())
    await run(sched, q.append([{ type: 'fenceBroker', brokerId: 1, brokerEpoch: 1 }], 1))
    await run(sched, new Promise<void>((resolve) => sched.setTimer(resolve, 100)))
    const cluster = { image: imageWithBrokers(), quorum: () => q.describe() }
    const now = () => sched.nowMs()
    const p = ask(2, cluster, askMetadataLog, now).topics[0]!.partitions[0]!
    const leaderId = q.describe().leaderId!
    expect(p).toMatchObject({ errorCode: ErrorCode.NONE, leaderId, highWatermark: 3 })
    expect(p.currentVoters.map((v) => [v.replicaId, v.logEndOffset])).toEqual([1, 2, 3].map((id) => [id, 3]))
    for (const v of p.currentVoters) {
      expect(v.lastFetchTimestamp).toBeGreaterThan(0)
      expect(v.lastCaughtUpTimestamp).toBeGreaterThan(0)
      expect(v.lastCaughtUpTimestamp).toBeLessThanOrEqual(v.lastFetchTimestamp)
    }
    // The leader and a follower crash: the voter left wins no election alone.
    q.crashVoter(leaderId)
    q.crashVoter([1, 2, 3].find((id) => id !== leaderId)!)
    await run(sched, new Promise<void>((resolve) => sched.setTimer(resolve, 1_000)))
    expect(ask(2, cluster, askMetadataLog, now).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    await run(sched, q.close())
  })
})

describe('broker/DescribeQuorum over TCP', () => {
  let cluster: TestCluster

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 2 })
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('is announced at v0-2 and answered by every broker at each version through the codec', async () => {
    for (const port of [cluster.port, cluster.port + 1]) {
      const c = await RawClient.connect(port)
      try {
        const versions = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })
        const entry = versions.apiKeys.find((k: { apiKey: number }) => k.apiKey === ApiKey.DescribeQuorum)
        expect(entry).toMatchObject({ minVersion: 0, maxVersion: 2 })
        for (const version of [0, 1, 2]) {
          const res = await c.request(ApiKey.DescribeQuorum, version, askMetadataLog)
          const p = res.topics[0].partitions[0]
          expect(p).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: cluster.runtime.status().controllerId, leaderEpoch: 1 })
          expect(p.highWatermark).toBe(cluster.runtime.image.offset + 1)
        }
      } finally {
        c.socket.destroy()
      }
    }
  })

  it("answers @platformatic/kafka's DescribeQuorum v2, the voter's endpoint its broker's listener", async () => {
    const connection = new Connection('describe-quorum-test')
    try {
      await connection.connect('127.0.0.1', cluster.port + 1)
      const res = await describeQuorumV2.api.async(connection, askMetadataLog.topics)
      const controller = cluster.runtime.status().controllerId
      expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderId: controller, leaderEpoch: 1 })
      expect(res.nodes).toEqual([{ nodeId: controller, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: cluster.port + controller - 1 }] }])
    } finally {
      await connection.close()
    }
  })
})
