/**
 * Metadata snapshots hold the image, not the history (KIP-630; src/daemon/quorum-metadata-log.ts):
 * the real controller behind its driver (controller-driver.ts) on a quorum of three voters on
 * memory stores and virtual time. After many changes (topics created and deleted, a broker fenced
 * and back, configs) a snapshot holds fewer records than the history; a reopen replays to an equal
 * image (compared as imageRecords) at the same offset; later records take the offsets they would
 * have without the snapshot; `cluster events` tells the snapshot as one event; a voter down while
 * the others snapshotted catches up by FetchSnapshot, and what its store holds rebuilds the same image;
 * a snapshot past what is applied, loaded after open, throws; a snapshot of the older form (every
 * record) loads as the image.
 */
import { describe, expect, it } from 'vitest'
import { Controller, type CommandResult } from '../../src/cluster/controller.js'
import { describeLog } from '../../src/cluster/events.js'
import { imageRecords, MetadataImage } from '../../src/cluster/metadata.js'
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import { seededRng } from '../../src/cluster/rng.js'
import { ControllerDriver } from '../../src/daemon/controller-driver.js'
import { QuorumMetadataLog } from '../../src/daemon/quorum-metadata-log.js'
import { InProcessTransport } from '../../src/daemon/quorum-transport.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { runFor, runUntilSettled } from '../helpers/virtual-time.js'
import { VirtualScheduler } from '../sim/scheduler.js'

const VOTERS = [1, 2, 3]
const BROKERS = [1, 2, 3]
const TIMINGS = { electionTimeoutMs: 100, fetchTimeoutMs: 200, electionBackoffMaxMs: 100, requestTimeoutMs: 200, fetchIntervalMs: 10, fetchMaxWaitMs: 50 }

/** Memory stores that outlive each QuorumMetadataLog opened on them (a reopen), on one virtual clock. */
class World {
  readonly sched = new VirtualScheduler()
  private seed = 1

  constructor(readonly stores = new Map(VOTERS.map((id) => [id, new MemoryRaftLogStore()]))) {}

  run<T>(p: Promise<T>): Promise<T> {
    return runUntilSettled(this.sched, p)
  }

  /** A log on the stores, its controller and driver, opened and replayed as ClusterNode does. */
  async open(): Promise<{ log: QuorumMetadataLog; controller: Controller; submit: <T>(command: () => CommandResult<T>) => Promise<CommandResult<T>> }> {
    const log = new QuorumMetadataLog({
      voterIds: VOTERS,
      storeOf: (id) => this.stores.get(id)!,
      transport: new InProcessTransport(this.sched, () => 1),
      scheduler: this.sched,
      rng: seededRng(this.seed++),
      raft: TIMINGS,
      appendTimeoutMs: 3000,
      newClusterId: () => 'test-cluster',
    })
    const controller = new Controller(new MetadataImage(), seededRng(this.seed++))
    const driver = new ControllerDriver(controller, log, this.sched, () => undefined)
    driver.replay(await this.run(log.open()))
    await this.run(log.clusterId())
    const submit = async <T>(command: () => CommandResult<T>): Promise<CommandResult<T>> => {
      const result = await this.run(driver.submit(command))
      expect([result.errorCode, result.errorMessage ?? null]).toEqual([ErrorCode.NONE, null])
      return result
    }
    return { log, controller, submit }
  }
}

/** Many changes, most of them undone: topics created and deleted, broker 2 fenced and back, configs set and reset. */
async function churn(controller: Controller, submit: <T>(command: () => CommandResult<T>) => Promise<CommandResult<T>>, rounds: number, prefix = 't'): Promise<void> {
  for (const id of BROKERS) await submit(() => controller.registerBroker(id, 'localhost', 9000 + id))
  for (let i = 0; i < rounds; i++) {
    const name = `${prefix}${i}`
    await submit(() => controller.createTopic({ name, numPartitions: 3, replicationFactor: 3 }))
    await submit(() => controller.alterConfigs('topic', name, [{ name: 'retention.ms', value: String(60_000 + i) }], false))
    if (i % 3 !== 0) await submit(() => controller.deleteTopic({ name }))
    await submit(() => controller.fenceBroker(2, 'session timed out'))
    await submit(() => controller.registerBroker(2, 'localhost', 9002))
    await submit(() => controller.allocateProducerIds(1000))
  }
}

/** A store holding what `store` holds durable (its snapshot and entries; the quorum state at its epoch, no vote, no leader). */
async function copyOf(store: MemoryRaftLogStore): Promise<MemoryRaftLogStore> {
  const { quorum, snapshot, entries } = store.durableState()
  const copy = new MemoryRaftLogStore()
  if (quorum) await copy.saveQuorumState({ epoch: quorum.epoch, votedFor: null, leaderId: null })
  if (snapshot) await copy.saveSnapshot(snapshot)
  await copy.append(entries)
  return copy
}

const lastOffset = (log: QuorumMetadataLog): number => log.metadataEndOffset() - 1

describe('daemon/quorum image snapshots', () => {
  it('a snapshot after many changes holds fewer records than the history; a reopen replays to the same image; offsets go on unchanged', async () => {
    const w = new World()
    const first = await w.open()
    await churn(first.controller, first.submit, 12)
    const history = await first.log.readAll()
    expect(history.map((s) => s.offset)).toEqual(history.map((_, i) => i))
    await w.run(first.log.settled(w.sched.nowMs()))
    await runFor(w.sched, 500) // every follower learns the high watermark
    expect(first.log.snapshot().sort()).toEqual(VOTERS)

    // What is held now: the image's records, every one at the last offset, far fewer than the history.
    const held = await first.log.readAll()
    const at = history.at(-1)!.offset
    expect(held.length).toBeLessThan(history.length / 3)
    expect(held.every((s) => s.snapshot === true && s.offset === at && s.timestampMs === history.at(-1)!.timestampMs)).toBe(true)
    expect(held.map((s) => s.record)).toEqual(imageRecords(first.controller.image))
    const snapshotBytes = w.stores.get(1)!.durableState().snapshot!.data.length
    expect(snapshotBytes).toBeLessThan(JSON.stringify(history).length / 3)

    // `cluster events`: the snapshot as one event, then what follows it told as changes.
    const image = first.controller.image
    const partitions = [...image.topicsById.values()].reduce((n, t) => n + t.partitions.length, 0)
    expect(describeLog(held)).toEqual([
      expect.objectContaining({ offset: at, type: 'metadata.snapshot', brokers: 3, topics: image.topicsById.size, partitions, message: `metadata snapshot at offset ${at}: 3 brokers, ${image.topicsById.size} topics, ${partitions} partitions (the records before it are compacted into it)` }),
    ])

    // The next record takes the offset it would have taken without the snapshot.
    const created = await first.submit(() => first.controller.createTopic({ name: 'after', numPartitions: 1, replicationFactor: 3 }))
    expect(lastOffset(first.log)).toBe(at + created.records.length)
    expect(first.controller.image.offset).toBe(lastOffset(first.log))
    const after = (await first.log.readAll()).filter((s) => !s.snapshot)
    expect(after.map((s) => s.offset)).toEqual(created.records.map((_, i) => at + 1 + i))
    expect(describeLog(await first.log.readAll()).map((e) => e.type)).toEqual(['metadata.snapshot', 'topic.created', 'partition.created'])
    const before = { records: imageRecords(first.controller.image), offset: first.controller.image.offset }
    await w.run(first.log.close())

    // A reopen replays the snapshot (commitAt: each record at its offset) and what follows it.
    const second = await w.open()
    expect({ records: imageRecords(second.controller.image), offset: second.controller.image.offset }).toEqual(before)
    const next = await second.submit(() => second.controller.deleteTopic({ name: 'after' }))
    expect(lastOffset(second.log)).toBe(before.offset + next.records.length)
    expect(second.controller.image.topicsByName.has('after')).toBe(false)
    await w.run(second.log.close())
  })

  it('a voter down while the others snapshot catches up by FetchSnapshot; what its store holds rebuilds the same image', async () => {
    const w = new World()
    const q = await w.open()
    await churn(q.controller, q.submit, 3)
    const down = VOTERS.find((id) => id !== q.log.describe().leaderId)!
    q.log.crashVoter(down)
    const endWhenDown = w.stores.get(down)!.durableState().entries.at(-1)!.offset + 1
    await churn(q.controller, q.submit, 6, 'u')
    await runFor(w.sched, 500) // the follower learns the high watermark
    expect(q.log.snapshot().sort()).toEqual(VOTERS.filter((id) => id !== down))
    await q.submit(() => q.controller.createTopic({ name: 'after', numPartitions: 2, replicationFactor: 3 }))
    // The leader's log now starts past the down voter's end: only the snapshot can bring it back.
    const leader = q.log.describe().leaderId!
    expect(w.stores.get(leader)!.durableState().snapshot!.offset).toBeGreaterThan(endWhenDown)

    await w.run(q.log.startVoter(down))
    await runFor(w.sched, 500)
    const view = q.log.describe()
    expect(view.voters.find((v) => v.id === down)!.logEndOffset).toBe(view.highWatermark)
    expect(w.stores.get(down)!.durableState().snapshot!.data).toEqual(w.stores.get(leader)!.durableState().snapshot!.data)
    const before = { records: imageRecords(q.controller.image), offset: q.controller.image.offset }
    await w.run(q.log.close())

    // Three voters on copies of what the caught-up voter holds (its snapshot and entries) open to the same image.
    const alone = new World(new Map(await Promise.all(VOTERS.map(async (id) => [id, await copyOf(w.stores.get(down)!)] as const))))
    const reopened = await alone.open()
    expect({ records: imageRecords(reopened.controller.image), offset: reopened.controller.image.offset }).toEqual(before)
    await alone.run(reopened.log.close())
  })

  it('a snapshot past what is applied, loaded after open, fails the voter\'s start loudly rather than lose its records', async () => {
    const w = new World()
    const q = await w.open()
    await q.submit(() => q.controller.registerBroker(1, 'localhost', 9001))
    const follower = VOTERS.find((id) => id !== q.log.describe().leaderId)!
    q.log.crashVoter(follower)
    // What no voter of this process took: a snapshot far past the log, with a record never applied here.
    const data = new TextEncoder().encode(JSON.stringify({ c: 'test-cluster', o: 500, t: 0, r: [{ type: 'producerIds', nextProducerId: 7 }] }))
    await w.stores.get(follower)!.saveSnapshot({ offset: 1000, epoch: 1, data })
    await expect(w.run(q.log.startVoter(follower))).rejects.toThrow(/metadata snapshot at metadata offset 500 loaded after open, past the 1 applied here/)
    await w.run(q.log.close())
  })

  it('a snapshot written before snapshots held the image (every record) loads as the image', async () => {
    const register = (brokerId: number, brokerEpoch: number) => ({ type: 'registerBroker', brokerId, host: 'localhost', port: 9000 + brokerId, rack: null, brokerEpoch })
    const history = [register(1, 0), register(2, 0), { type: 'fenceBroker', brokerId: 2, brokerEpoch: 0 }, register(2, 1), { type: 'unfenceBroker', brokerId: 2, brokerEpoch: 1 }]
    const data = new TextEncoder().encode(JSON.stringify({ c: 'old-cluster', records: history.map((record, offset) => ({ offset, timestampMs: 10 + offset, record })) }))
    const w = new World()
    for (const store of w.stores.values()) {
      await store.saveQuorumState({ epoch: 1, votedFor: null, leaderId: null })
      await store.saveSnapshot({ offset: 3, epoch: 1, data })
    }
    const q = await w.open()
    expect(await w.run(q.log.clusterId())).toBe('old-cluster')
    expect((await q.log.readAll()).map((s) => [s.offset, s.timestampMs, s.record])).toEqual([
      [4, 14, register(1, 0)],
      [4, 14, register(2, 1)],
      [4, 14, { type: 'unfenceBroker', brokerId: 2, brokerEpoch: 1 }],
    ])
    expect(q.controller.image.offset).toBe(4)
    expect(q.controller.image.liveBrokers().map((b) => [b.id, b.epoch])).toEqual([[2, 1]])
    await w.run(q.log.close())
  })
})
