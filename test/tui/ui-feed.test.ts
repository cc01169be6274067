/**
 * The dashboard's feeds without a daemon: ClusterFeed against a fake control socket (subscribe,
 * history, snapshots, actions, the daemon going away and coming back), GroupsFeed against a fake group source (errors kept with the last groups).
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ClusterFeed, type ClusterView } from '../../src/tui/ui/cluster-feed.js'
import { GroupsFeed, type GroupSource } from '../../src/tui/ui/groups-feed.js'
import type { TransactionInfo } from '../../src/client/txn-admin.js'
import { TxnsFeed } from '../../src/tui/ui/txns-feed.js'
import { QuorumFeed, quorumSummary } from '../../src/tui/ui/quorum-feed.js'
import type { QuorumDescription } from '../../src/client/quorum.js'
import { SluiceError } from '../../src/common/errors.js'
import type { GroupsState, QuorumState, TxnsState } from '../../src/tui/ui/types.js'
import { EVENTS, snapshotAt } from './ui-fixtures.js'

/** A control socket that answers like the daemon, and records what it was asked. */
class FakeDaemon {
  readonly calls: Array<{ method: string; params: Record<string, unknown> }> = []
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  private subscribers: Array<{ socket: net.Socket; id: number }> = []
  private snapshots = 0

  constructor(readonly socketPath: string) {}

  async start(): Promise<void> {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      let buffered = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => {
        buffered += chunk
        let nl
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const req = JSON.parse(buffered.slice(0, nl)) as { id: number; method: string; params: Record<string, unknown> }
          buffered = buffered.slice(nl + 1)
          this.answer(socket, req)
        }
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(this.socketPath, resolve))
  }

  /** Stops listening and drops every connection (the daemon died). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    this.subscribers = []
    await new Promise<void>((resolve) => this.server!.close(() => resolve()))
  }

  publish(data: unknown): void {
    for (const { socket, id } of this.subscribers) socket.write(JSON.stringify({ subscription: id, event: 'cluster.x', data }) + '\n')
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length
  }

  private answer(socket: net.Socket, req: { id: number; method: string; params: Record<string, unknown> }): unknown {
    this.calls.push({ method: req.method, params: req.params })
    const reply = (result: unknown) => socket.write(JSON.stringify({ id: req.id, result }) + '\n')
    switch (req.method) {
      case 'subscribe':
        this.subscribers.push({ socket, id: req.id })
        return reply({ subscription: req.id })
      case 'cluster.events':
        return reply({ events: EVENTS.slice(0, 2) })
      case 'cluster.snapshot':
        return reply(snapshotAt(500 * ++this.snapshots))
      default:
        return reply({ id: req.params.id })
    }
  }
}

async function until<T>(fn: () => T | undefined | false, what: string): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(): Promise<{ daemon: FakeDaemon; feed: ClusterFeed; view: () => ClusterView }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-ui-feed-'))
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }))
  const daemon = new FakeDaemon(path.join(dir, 'control.sock'))
  await daemon.start()
  cleanups.push(() => daemon.stop().catch(() => undefined))
  const feed = new ClusterFeed({ socketPath: daemon.socketPath })
  let latest = feed.current
  feed.onChange((v) => (latest = v))
  feed.start()
  cleanups.push(() => feed.stop())
  return { daemon, feed, view: () => latest }
}

describe('ClusterFeed', () => {
  it('subscribes before reading the history, polls snapshots, and refreshes on an event', async () => {
    const { daemon, view } = await setup()
    await until(() => view().connection.kind === 'connected' && view().snapshot, 'the first snapshot')
    expect(daemon.calls.slice(0, 2).map((c) => c.method)).toEqual(['subscribe', 'cluster.events'])
    expect(daemon.calls[0]!.params).toEqual({ events: ['cluster.', 'daemon.stopping'] })
    expect(view().events.map((e) => e.type)).toEqual(['topic.created', 'broker.killed'])
    const before = daemon.count('cluster.snapshot')
    daemon.publish(EVENTS[2])
    await until(() => view().events.length === 3, 'the live event')
    await until(() => daemon.count('cluster.snapshot') > before, 'a refresh after the event')
    await until(() => view().history.length >= 2, 'a history of snapshots')
  })

  it('runs an action on the control socket and refreshes right after it', async () => {
    const { daemon, feed, view } = await setup()
    await until(() => view().snapshot, 'the first snapshot')
    const before = daemon.count('cluster.snapshot')
    expect(await feed.act({ kind: 'kill', broker: 2 })).toMatch(/broker 2 killed/)
    expect(daemon.calls.find((c) => c.method === 'broker.kill')!.params).toEqual({ id: 2 })
    await feed.act({ kind: 'failover', topic: 'orders', partition: 1 }).catch(() => undefined)
    expect(daemon.calls.find((c) => c.method === 'cluster.failover')!.params).toEqual({ topic: 'orders', partition: 1 })
    await until(() => daemon.count('cluster.snapshot') > before, 'a refresh after the action')
  })

  it('keeps the last data when the daemon goes away, and reconnects when it is back', async () => {
    const { daemon, feed, view } = await setup()
    await until(() => view().snapshot, 'the first snapshot')
    await daemon.stop()
    const lost = await until(() => (view().connection.kind === 'lost' ? view() : undefined), 'the lost connection')
    expect(lost.snapshot).toBeDefined()
    await expect(feed.act({ kind: 'kill', broker: 1 })).rejects.toThrow(/not connected/)
    const last = lost.snapshot!.timeMs
    await daemon.start()
    await until(() => view().connection.kind === 'connected' && view().snapshot!.timeMs !== last, 'the reconnection')
  })
})

describe('GroupsFeed', () => {
  it('describes each group; an error is kept with the last groups; a group that cannot be described is listed without lag', async () => {
    let fail = false
    const source: GroupSource = {
      list: async () => {
        if (fail) throw new Error('cannot reach the cluster')
        return [{ group: 'billing', state: 'Stable' }, { group: 'gone', state: 'Empty' }]
      },
      describe: async (group) => {
        if (group === 'gone') throw new Error('group "gone" does not exist')
        return { state: 'Stable', members: [{}, {}], lag: 30, partitions: [{ topic: 'orders', lag: 10 }, { topic: 'orders', lag: 5 }, { topic: 'payments', lag: 15 }] }
      },
      close: async () => undefined,
    }
    let made = 0
    const feed = new GroupsFeed(() => {
      made++
      return source
    })
    let state: GroupsState = feed.current
    feed.onChange((s) => (state = s))
    await feed.refresh()
    expect(state.error).toBeNull()
    expect(state.groups).toEqual([
      { group: 'billing', state: 'Stable', members: 2, lag: 30, topics: [{ topic: 'orders', lag: 15 }, { topic: 'payments', lag: 15 }] },
      { group: 'gone', state: 'Empty', members: 0, lag: null, topics: [], stale: true },
    ])
    fail = true
    await feed.refresh()
    expect(state.error).toBe('cannot reach the cluster')
    expect(state.groups).toHaveLength(2)
    expect(state.groups.every((g) => g.stale === true)).toBe(true)
    // The clients are made again after an error.
    fail = false
    await feed.refresh()
    expect(state.error).toBeNull()
    expect(made).toBe(2)
    await feed.stop()
  })

  it('during a failover keeps the groups it cannot describe or list right now, with what was last known, marked stale', async () => {
    let coordinatorDown = false
    const source: GroupSource = {
      list: async () => (coordinatorDown ? [{ group: 'billing', state: 'Stable' }] : [{ group: 'audit', state: 'Empty' }, { group: 'billing', state: 'Stable' }]),
      describe: async (group) => {
        if (coordinatorDown) throw new Error('NOT_COORDINATOR')
        return { state: group === 'audit' ? 'Empty' : 'Stable', members: group === 'audit' ? [] : [{}], lag: 7, partitions: [{ topic: 'orders', lag: 7 }] }
      },
      close: async () => undefined,
    }
    const feed = new GroupsFeed(() => source)
    let state: GroupsState = feed.current
    feed.onChange((s) => (state = s))
    await feed.refresh()
    expect(state.groups.map((g) => g.stale)).toEqual([undefined, undefined])
    coordinatorDown = true
    await feed.refresh()
    expect(state.groups).toEqual([
      { group: 'audit', state: 'Empty', members: 0, lag: 7, topics: [{ topic: 'orders', lag: 7 }], stale: true },
      { group: 'billing', state: 'Stable', members: 1, lag: 7, topics: [{ topic: 'orders', lag: 7 }], stale: true },
    ])
    coordinatorDown = false
    await feed.refresh()
    expect(state.groups.map((g) => [g.group, g.stale])).toEqual([['audit', undefined], ['billing', undefined]])
    await feed.stop()
  })

  it('open transactions: hung first, then the oldest; an error is kept with the last answer', async () => {
    const txn = (transactionalId: string, ageMs: number, timeoutMs: number): TransactionInfo => ({
      transactionalId,
      state: 'Ongoing',
      producerId: 1,
      producerEpoch: 0,
      timeoutMs,
      startTimeMs: 1,
      ageMs,
      hung: ageMs > timeoutMs,
      coordinator: 1,
      partitions: [{ topic: 'orders', partitions: [0, 2] }],
    })
    let fail = false
    const feed = new TxnsFeed(async () => {
      if (fail) throw new Error('cannot reach the cluster')
      return [txn('young', 1_000, 60_000), txn('old', 30_000, 60_000), txn('stuck', 5_000, 1_000)]
    })
    let state: TxnsState = feed.current
    feed.onChange((s) => (state = s))
    await feed.refresh()
    expect(state.transactions.map((t) => [t.transactionalId, t.hung, t.partitions])).toEqual([
      ['stuck', true, 2],
      ['old', false, 2],
      ['young', false, 2],
    ])
    fail = true
    await feed.refresh()
    expect(state.error).toBe('cannot reach the cluster')
    expect(state.transactions).toHaveLength(3)
    await feed.stop()
  })

  it('the quorum: voters with their lag and last fetch; no leader marks it frozen and keeps the last voters; other errors are kept', async () => {
    const nowMs = Date.now()
    const answer: QuorumDescription = {
      clusterId: 'c',
      leaderId: 2,
      leaderEpoch: 3,
      highWatermark: 40,
      maxFollowerLag: 4,
      maxFollowerLagTimeMs: 100,
      currentVoters: [],
      currentObservers: [],
      replicas: [
        { nodeId: 2, logEndOffset: 42, lag: 0, lastFetchTimestamp: nowMs, lastCaughtUpTimestamp: nowMs, status: 'Leader' },
        { nodeId: 1, logEndOffset: 38, lag: 4, lastFetchTimestamp: nowMs - 60_000, lastCaughtUpTimestamp: -1, status: 'Follower' },
        { nodeId: 3, logEndOffset: -1, lag: 43, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1, status: 'Follower' },
        { nodeId: 9, logEndOffset: 40, lag: 2, lastFetchTimestamp: nowMs, lastCaughtUpTimestamp: nowMs, status: 'Observer' },
      ],
    }
    let fail: Error | null = null
    const feed = new QuorumFeed(async () => {
      if (fail) throw fail
      return answer
    })
    let state: QuorumState = feed.current
    feed.onChange((s) => (state = s))
    await feed.refresh()
    expect(state).toMatchObject({ frozen: false, error: null, quorum: { leaderId: 2, epoch: 3, highWatermark: 40, maxFollowerLag: 4 } })
    expect(state.quorum!.voters.map((v) => [v.id, v.status, v.lag])).toEqual([
      [2, 'Leader', 0],
      [1, 'Follower', 4],
      [3, 'Follower', 43],
    ])
    // The last fetch's age: the answer's timestamp against the clock at the refresh (given here).
    expect(typeof state.quorum!.voters[1]!.fetchedAgoMs).toBe('number')
    expect(quorumSummary(answer, nowMs + 5_000).voters[1]!.fetchedAgoMs).toBe(65_000)
    expect(state.quorum!.voters[2]!.fetchedAgoMs).toBeNull()
    fail = new SluiceError('QUORUM_NO_MAJORITY', 'the quorum has no leader')
    await feed.refresh()
    expect(state).toMatchObject({ frozen: true, error: null })
    expect(state.quorum!.voters).toHaveLength(3)
    fail = new Error('cannot reach the cluster')
    await feed.refresh()
    expect(state.error).toBe('cannot reach the cluster')
    fail = null
    await feed.refresh()
    expect(state).toMatchObject({ frozen: false, error: null })
    await feed.stop()
  })
})
