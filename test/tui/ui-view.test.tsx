/** `sluice ui`'s view with fixtures (no daemon): frames for given snapshots, and the keys through stdin. */
import { render } from 'ink-testing-library'
import { afterEach, describe, expect, it } from 'vitest'
import { Dashboard, type DashboardProps } from '../../src/tui/ui/Dashboard.js'
import { pushSample, type Sample } from '../../src/tui/ui/model.js'
import type { GroupsState, QuorumState, TxnsState, UiAction } from '../../src/tui/ui/types.js'
import { EVENTS, snapshotAt } from './ui-fixtures.js'

const ESC = '\u001B'
const DOWN = '\u001B[B'
const UP = '\u001B[A'
const TAB = '\t'

const GROUPS: GroupsState = {
  groups: [
    { group: 'billing', state: 'Stable', members: 2, lag: 120, topics: [{ topic: 'orders', lag: 100 }, { topic: 'payments', lag: 20 }] },
    { group: 'audit', state: 'Empty', members: 0, lag: 0, topics: [{ topic: 'orders', lag: 0 }] },
  ],
  error: null,
  updatedAtMs: 1,
}

/** 20 s of history at 500 ms polls, orders growing 100 records/s per partition; then the kill. */
function history(killed: boolean): { props: Pick<DashboardProps, 'snapshot' | 'history'> } {
  let h: Sample[] = []
  for (let dt = 0; dt <= 20_000; dt += 500) h = pushSample(h, snapshotAt(dt))
  const snapshot = snapshotAt(20_500, { killed })
  h = pushSample(h, snapshot)
  return { props: { snapshot, history: h } }
}

const rendered: Array<{ unmount(): void }> = []
afterEach(() => {
  for (const r of rendered.splice(0)) r.unmount()
})

function view(over: Partial<DashboardProps> = {}) {
  const calls: UiAction[] = []
  const exits: number[] = []
  const props: DashboardProps = {
    ...history(false).props,
    events: EVENTS,
    groups: GROUPS,
    connection: { kind: 'connected' },
    runAction: async (a) => {
      calls.push(a)
      return `did ${a.kind}`
    },
    onExit: (code) => exits.push(code),
    width: 120,
    height: 40,
    ...over,
  }
  const r = render(<Dashboard {...props} />)
  rendered.push(r)
  const frame = (): string => r.lastFrame() ?? ''
  /** Polls the frame until `check` passes; fails with the last frame after a deadline. */
  const until = async (check: (f: string) => boolean, what: string): Promise<string> => {
    const deadline = Date.now() + 5_000
    for (;;) {
      const f = frame()
      if (check(f)) return f
      if (Date.now() > deadline) throw new Error(`frame never showed ${what}:\n${f}`)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const line = (f: string, start: string): string => f.split('\n').find((l) => l.includes(start)) ?? ''
  return { r, calls, exits, frame, until, line, press: (s: string) => r.stdin.write(s) }
}

describe('sluice ui view', () => {
  it('shows brokers with their states and the controller, partitions with HWM, LEO, records/s and a sparkline', async () => {
    const v = view()
    const f = await v.until((f) => f.includes('orders-0'), 'the partitions')
    expect(v.line(f, '> ')).toMatch(/1\s+up\s+127\.0\.0\.1:9092/)
    expect(v.line(f, '2*')).toMatch(/2\*\s+up/) // * marks the controller
    expect(v.line(f, '127.0.0.1:9094')).toMatch(/3\s+PAUSED/)
    const orders0 = v.line(f, 'orders-0')
    // HWM 2050, LEO 2050, 100 records/s, and a sparkline over the 20 s of history.
    expect(orders0).toMatch(/orders-0\s+1\s+0\s+1,2,3\s+1,2,3\s+2050\s+2050\s+100\s+/)
    expect(orders0).toMatch(/[▁▂▃▄▅▆▇█]{3,}/)
    expect(v.line(f, 'orders-1')).toMatch(/2050\s+2053\s+100/)
    // The internal topic is folded away.
    expect(f).toMatch(/2 internal partitions .*folded/)
    expect(f).not.toContain('__consumer_offsets-0')
  })

  it('marks a killed broker, an under-replicated and an offline partition in words, and the last failover', async () => {
    const v = view(history(true).props)
    const f = await v.until((f) => f.includes('payments-0'), 'the partitions')
    expect(v.line(f, '127.0.0.1:9092')).toMatch(/1\s+KILLED/)
    expect(v.line(f, 'orders-0')).toMatch(/orders-0\s+2\s+1\s+1,2,3\s+2,3\s+.*UNDER-REPLICATED/)
    expect(v.line(f, 'payments-0')).toMatch(/payments-0\s+none\s+.*OFFLINE/)
    expect(v.line(f, 'orders-2')).not.toMatch(/OFFLINE|UNDER/)
    expect(f).toMatch(/1 OFFLINE, 2 LEADER DOWN, 1 UNDER-REPLICATED/)
    // orders-2's leader (broker 3) is paused: nobody can write to it until it is fenced.
    expect(f).toMatch(/orders-2 .* LEADER DOWN/)
    expect(v.line(f, 'last failover')).toMatch(/orders-0 leader 1 -> 2 \(epoch 1\) at .*no leader for 1\.25 s, no writes for 1\.73 s/)
  })

  it('marks a partition being moved MOVING, with the replica being added and how far it copied', async () => {
    const base = history(false).props
    const snap = base.snapshot!
    // orders-1 [2,3,1] moving to [4,3,1]: broker 4 has a third of the leader's log.
    const partitions = snap.partitions.map((p) =>
      p.topic === 'orders' && p.partition === 1
        ? { ...p, replicas: [4, 3, 1, 2], addingReplicas: [4], removingReplicas: [2], logEndOffset: 300, replicaLogEndOffsets: { ...p.replicaLogEndOffsets, '4': 100 } }
        : p,
    )
    const v = view({ snapshot: { ...snap, partitions }, history: base.history })
    const f = await v.until((f) => f.includes('MOVING'), 'the moving partition')
    expect(v.line(f, 'orders-1')).toMatch(/orders-1\s+.*4,3,1,2\s+.*MOVING \+4 33%/)
    expect(f).not.toMatch(/UNDER-REPLICATED/)
  })

  it('shows a broker whose log dir is offline, with the reason under the brokers; k refuses it', async () => {
    const base = history(false).props
    const snap = base.snapshot!
    const reason = 'disk full (ENOSPC) writing /h/brokers/1/000003.log'
    const snapshot = { ...snap, brokers: snap.brokers.map((b) => (b.id === 1 ? { ...b, state: 'offline' as const, logDirError: reason } : b)) }
    const v = view({ snapshot, history: base.history })
    const f = await v.until((f) => f.includes('log dir offline'), 'the log dir line')
    expect(v.line(f, '127.0.0.1:9092')).toMatch(/1\s+OFFLINE/)
    expect(f).toContain(`broker 1: log dir offline: ${reason}`)
    v.press('k')
    await v.until((f) => f.includes("broker 1's log dir is offline: it rejoins by itself"), 'the refusal')
    expect(v.calls).toEqual([])
  })

  it('shows groups with their total and per-topic lag, the event log newest at the bottom, and a groups error without crashing', async () => {
    const v = view()
    const f = await v.until((f) => f.includes('billing'), 'the groups')
    expect(v.line(f, 'billing')).toMatch(/billing\s+Stable\s+2 members\s+lag 120\s+\(orders 100, payments 20\)/)
    expect(v.line(f, 'audit')).toMatch(/Empty\s+0 members\s+lag 0/)
    const lines = f.split('\n')
    const at = (text: string) => lines.findIndex((l) => l.includes(text))
    expect(at('broker 1 killed (a crash)')).toBeGreaterThan(at('topic orders created'))
    expect(at('leader of orders-0 moved from 1 to 2')).toBeGreaterThan(at('broker 1 fenced'))
    v.r.rerender(<Dashboard {...history(false).props} events={EVENTS} groups={{ ...GROUPS, error: 'cannot reach the cluster' }} connection={{ kind: 'connected' }} runAction={async () => ''} onExit={() => undefined} height={40} />)
    await v.until((f) => f.includes('groups: cannot reach the cluster (showing the last answer)') && f.includes('billing'), 'the groups error')
  })

  it('says when the daemon is lost and keeps the last data', async () => {
    const v = view({ connection: { kind: 'lost', sinceMs: Date.now(), error: 'the control connection closed' } })
    const f = await v.until((f) => f.includes('DAEMON LOST'), 'the lost daemon')
    expect(f).toContain('orders-0')
  })

  it('tab and arrows select; k asks, y runs the kill on the selected broker; n cancels', async () => {
    const v = view()
    await v.until((f) => f.includes('[Brokers]'), 'the brokers focused')
    v.press(DOWN)
    await v.until((f) => v.line(f, '> ').includes('127.0.0.1:9093'), 'broker 2 selected')
    v.press('k')
    await v.until((f) => f.includes('Kill broker 2') && f.includes('[y/enter: yes, n/esc: no]'), 'the kill confirmation')
    expect(v.calls).toEqual([])
    v.press('n')
    await v.until((f) => f.includes('cancelled: kill broker 2'), 'the cancellation')
    expect(v.calls).toEqual([])
    v.press(UP)
    await v.until((f) => v.line(f, '> ').includes('127.0.0.1:9092'), 'broker 1 selected')
    v.press('k')
    await v.until((f) => f.includes('Kill broker 1'), 'the kill confirmation for broker 1')
    v.press('y')
    await v.until((f) => f.includes('done: did kill'), 'the result in the footer')
    expect(v.calls).toEqual([{ kind: 'kill', broker: 1 }])
  })

  it('p pauses an up broker, resumes a paused one; s starts a killed one; escape cancels', async () => {
    const v = view(history(true).props)
    await v.until((f) => f.includes('KILLED'), 'the killed broker')
    v.press('s')
    await v.until((f) => f.includes('Start broker 1?'), 'the start confirmation')
    v.press('\r')
    await v.until((f) => f.includes('done: did start'), 'the start result')
    v.press(DOWN + DOWN)
    await v.until((f) => v.line(f, '> ').includes('127.0.0.1:9094'), 'broker 3 selected')
    v.press('p')
    await v.until((f) => f.includes('Resume broker 3?'), 'the resume confirmation')
    v.press(ESC)
    await v.until((f) => f.includes('cancelled: resume broker 3'), 'the cancellation')
    v.press(UP)
    await v.until((f) => v.line(f, '> ').includes('127.0.0.1:9093'), 'broker 2 selected')
    v.press('p')
    await v.until((f) => f.includes('Pause broker 2'), 'the pause confirmation')
    v.press('y')
    await v.until((f) => f.includes('done: did pause'), 'the pause result')
    expect(v.calls).toEqual([{ kind: 'start', broker: 1 }, { kind: 'pause', broker: 2 }])
  })

  it('f fails over the selected partition; a failed action shows its error in the footer', async () => {
    const v = view({
      runAction: async () => {
        throw new Error('FAILOVER_REFUSED: no other live in-sync replica')
      },
    })
    await v.until((f) => f.includes('[Brokers]'), 'the view')
    v.press(TAB)
    await v.until((f) => f.includes('[Partitions]'), 'the partitions focused')
    v.press(DOWN)
    await v.until((f) => v.line(f, 'orders-1').startsWith('>'), 'orders-1 selected')
    v.press('f')
    await v.until((f) => f.includes('Fail over orders-1'), 'the failover confirmation')
    v.press('y')
    await v.until((f) => f.includes('error: failover orders-1: FAILOVER_REFUSED'), 'the error')
  })

  it('f records the failover call; i shows the internal topics', async () => {
    const v = view()
    await v.until((f) => f.includes('[Brokers]'), 'the view')
    v.press(TAB)
    await v.until((f) => f.includes('[Partitions]'), 'the partitions focused')
    v.press('f')
    await v.until((f) => f.includes('Fail over orders-0'), 'the failover confirmation')
    v.press('y')
    await v.until((f) => f.includes('done: did failover'), 'the result')
    v.press('i')
    await v.until((f) => f.includes('__consumer_offsets-1'), 'the internal topics')
  })

  it('q exits with 0, Ctrl-C with 130', async () => {
    const v = view()
    await v.until((f) => f.includes('[Brokers]'), 'the view')
    // (ink-testing-library's stdin keeps only the last chunk written before Ink reads it: one key
    // at a time, each awaited.)
    v.press('q')
    const deadline = Date.now() + 5_000
    while (v.exits.length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
    expect(v.exits).toEqual([0])
    v.press('\u0003')
    while (v.exits.length === 1 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
    expect(v.exits).toEqual([0, 130])
  })

  it('fits 80x24: fewer rows, no line wider than the terminal', async () => {
    const v = view({ width: 80, height: 24, ...history(true).props })
    const f = await v.until((f) => f.includes('orders-0'), 'the partitions')
    const lines = f.split('\n')
    expect(lines.length).toBeLessThanOrEqual(23)
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80)
    expect(v.line(f, 'orders-0')).toContain('100')
  })

  it('lists the open transactions, hung ones marked; none open is one line', async () => {
    const txns: TxnsState = {
      transactions: [
        { transactionalId: 'payments-7', state: 'Ongoing', ageMs: 95_000, timeoutMs: 60_000, partitions: 3, hung: true },
        { transactionalId: 'orders-etl', state: 'PrepareCommit', ageMs: 2_000, timeoutMs: 60_000, partitions: 1, hung: false },
      ],
      error: null,
      updatedAtMs: 1,
    }
    const v = view({ txns })
    const f = await v.until((f) => f.includes('payments-7'), 'the transactions')
    expect(v.line(f, 'Transactions')).toContain('2 open, 1 HUNG')
    expect(v.line(f, 'payments-7')).toMatch(/payments-7\s+Ongoing\s+open\s+1m 35s of 1m 0s\s+3 partitions\s+HUNG/)
    expect(v.line(f, 'orders-etl')).toMatch(/PrepareCommit\s+open\s+2s of 1m 0s\s+1 partition\b/)
    const none = view({ txns: { transactions: [], error: null, updatedAtMs: 1 } })
    expect(none.line(await none.until((f) => f.includes('Transactions'), 'the pane'), 'Transactions')).toContain('none open')
  })

  it('the quorum pane: leader, epoch and high watermark in its title, one line per voter; no leader says metadata is frozen', async () => {
    const quorum: QuorumState = {
      quorum: {
        leaderId: 2,
        epoch: 3,
        highWatermark: 40,
        maxFollowerLag: 4,
        voters: [
          { id: 2, status: 'Leader', logEndOffset: 42, lag: 0, fetchedAgoMs: 0 },
          { id: 1, status: 'Follower', logEndOffset: 38, lag: 4, fetchedAgoMs: 1_500 },
          { id: 3, status: 'Follower', logEndOffset: -1, lag: 43, fetchedAgoMs: null },
        ],
      },
      frozen: false,
      error: null,
      updatedAtMs: 1,
    }
    const v = view({ quorum })
    const f = await v.until((f) => f.includes('voter 3'), 'the quorum')
    expect(v.line(f, 'Quorum')).toContain('leader 2  epoch 3  high watermark 40  max lag 4  3 voters')
    expect(v.line(f, 'voter 2')).toMatch(/voter 2\s+Leader\s+log end\s+42\s+lag\s+0\s+leader/)
    expect(v.line(f, 'voter 1')).toMatch(/Follower\s+log end\s+38\s+lag\s+4\s+fetched 1.50 s ago/)
    expect(v.line(f, 'voter 3')).toMatch(/log end\s+-1\s+lag\s+43\s+no fetch this epoch/)
    const frozen = view({ quorum: { ...quorum, frozen: true } })
    const ff = await frozen.until((f) => f.includes('METADATA FROZEN'), 'the frozen quorum')
    expect(frozen.line(ff, 'Quorum')).toContain('METADATA FROZEN: no majority')
    expect(frozen.line(ff, 'voter 1')).toContain('lag      4')
    const small = view({ quorum, width: 80, height: 24, ...history(true).props })
    const fs = await small.until((f) => f.includes('orders-0'), 'the partitions')
    expect(fs.split('\n').length).toBeLessThanOrEqual(23)
    expect(small.line(fs, 'Quorum')).toContain('leader 2')
  })
})
