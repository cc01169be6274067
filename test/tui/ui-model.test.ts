/** The pure parts of `sluice ui`: rates from snapshot deltas, sparklines, health, selection, events, keys, layout. */
import { describe, expect, it } from 'vitest'
import { controllerText, formatCount, formatDuration, formatRate, truncate } from '../../src/tui/ui/format.js'
import { handleKey, initialUiState, type UiState } from '../../src/tui/ui/keys.js'
import { layout } from '../../src/tui/ui/layout.js'
import {
  brokerAction,
  currentRate,
  EVENTS_MAX,
  failoverAction,
  failoverLine,
  foldIdleFailovers,
  HISTORY_SAMPLES_MAX,
  HISTORY_WINDOW_MS,
  hwmCounter,
  INTERNAL_FOLD_KEY,
  lastFailover,
  mergeEvents,
  moveSelection,
  movingMark,
  downBrokers,
  partitionHealth,
  partitionRows,
  pushSample,
  rateSeries,
  requestsCounter,
  scrollStart,
  sparkline,
  visibleEvents,
  type Sample,
} from '../../src/tui/ui/model.js'
import type { UiEvent } from '../../src/tui/ui/types.js'
import { EVENTS, FAILOVER, partition, snapshotAt } from './ui-fixtures.js'

function historyOf(dts: number[], opts: { ratePerSec?: number } = {}): Sample[] {
  let h: Sample[] = []
  for (const dt of dts) h = pushSample(h, snapshotAt(dt, opts))
  return h
}

describe('snapshot history', () => {
  it('keeps the last ~65 s and at most HISTORY_SAMPLES_MAX samples', () => {
    const h = historyOf(Array.from({ length: 300 }, (_, i) => i * 500))
    // Samples 500 ms apart: the oldest kept is the one exactly a window before the newest.
    expect(h[0]!.timeMs).toBe(h.at(-1)!.timeMs - HISTORY_WINDOW_MS)
    expect(h.length).toBe(HISTORY_WINDOW_MS / 500 + 1)
    const dense = historyOf(Array.from({ length: 1_000 }, (_, i) => i * 10))
    expect(dense.length).toBe(HISTORY_SAMPLES_MAX)
  })

  it('ignores a snapshot that is not newer than the last one', () => {
    const h = historyOf([0, 500, 500, 400])
    expect(h.map((s) => s.timeMs - h[0]!.timeMs)).toEqual([0, 500])
  })
})

describe('rates', () => {
  it('records/s from HWM deltas and requests/s from counter deltas, over the last 2 s', () => {
    const h = historyOf([0, 500, 1_000, 1_500, 2_000, 2_500, 3_000], { ratePerSec: 200 })
    expect(currentRate(h, hwmCounter('orders-0'))).toBeCloseTo(200)
    // broker 2 answers dt/10 requests: 100/s; broker 1 dt/100: 10/s.
    expect(currentRate(h, requestsCounter(2))).toBeCloseTo(100)
    expect(currentRate(h, requestsCounter(1))).toBeCloseTo(10)
    // A partition that does not move.
    expect(currentRate(h, hwmCounter('orders-2'))).toBe(0)
  })

  it('is null with one sample, for an offline partition (HWM -1) and for an unknown partition', () => {
    expect(currentRate(historyOf([0]), hwmCounter('orders-0'))).toBeNull()
    let h = historyOf([0, 500])
    h = pushSample(h, snapshotAt(1_000, { killed: true }))
    expect(currentRate(h, hwmCounter('payments-0'))).toBeNull()
    expect(currentRate(h, hwmCounter('nope-0'))).toBeNull()
  })

  it('a counter that goes back (topic re-created, truncation) counts as no progress', () => {
    let h = historyOf([0, 1_000], { ratePerSec: 1_000 })
    h = pushSample(h, snapshotAt(2_000, { ratePerSec: 10 }))
    expect(currentRate(h, hwmCounter('orders-0'), 1_000)).toBe(0)
  })

  it('rateSeries slices the last 60 s; slices before the history are null', () => {
    const dts = Array.from({ length: 21 }, (_, i) => i * 500) // 10 s of history
    const series = rateSeries(historyOf(dts, { ratePerSec: 50 }), hwmCounter('orders-0'), 12)
    expect(series).toHaveLength(12)
    // 60 s in 12 slices of 5 s: the last two cover the 10 s of history.
    expect(series.slice(0, 10).every((v) => v === null)).toBe(true)
    expect(series[10]).toBeCloseTo(50)
    expect(series[11]).toBeCloseTo(50)
  })
})

describe('sparkline', () => {
  it('draws blank for null, the lowest bar for zero and the full bar at the max', () => {
    expect(sparkline([null, 0, 50, 100], 100)).toBe(' ▁▅█')
    expect(sparkline([5, 5], 0)).toBe('▁▁')
    expect(sparkline([1], 100)).toBe('▂') // anything moving shows above zero
  })
})

describe('partitions', () => {
  it('health: offline without a leader, under-replicated with a short ISR', () => {
    expect(partitionHealth(partition('t', 0))).toBe('ok')
    expect(partitionHealth(partition('t', 0, { isr: [1, 2] }))).toBe('under-replicated')
    expect(partitionHealth(partition('t', 0, { leader: -1, isr: [1] }))).toBe('offline')
    // The leader's broker killed or paused, not fenced yet: the metadata still names it.
    const down = downBrokers([{ id: 1, state: 'killed' }, { id: 2, state: 'up' }, { id: 3, state: 'paused' }])
    expect([...down].sort()).toEqual([1, 3])
    expect(partitionHealth(partition('t', 0, { leader: 1 }), down)).toBe('leader-down')
    expect(partitionHealth(partition('t', 0, { leader: 2, isr: [2, 3] }), down)).toBe('under-replicated')
  })

  it('health: a reassignment in progress is MOVING (the replicas being added and how far they copied), not under-replicated', () => {
    const moving = partition('t', 0, { replicas: [4, 1, 2], isr: [1, 2], leader: 1, addingReplicas: [4], removingReplicas: [2], logEndOffset: 200, replicaLogEndOffsets: { '4': 90, '1': 200, '2': 200 } })
    expect(partitionHealth(moving)).toBe('moving')
    expect(movingMark(moving, true)).toBe('MOVING +4 45%')
    expect(movingMark(moving, false)).toBe('MOVING 45%')
    expect(movingMark({ ...moving, isr: [1, 2, 4] }, true)).toBe('MOVING -2')
    // A replica it keeps out of the ISR is under-replication all the same.
    expect(partitionHealth({ ...moving, isr: [2] })).toBe('under-replicated')
  })

  it('rows: topics in order, internal topics last and folded unless shown, problems counted on the fold', () => {
    const parts = [partition('zeta', 0), partition('__consumer_offsets', 1, { isr: [1] }), partition('alpha', 1), partition('alpha', 0), partition('__consumer_offsets', 0)]
    const folded = partitionRows(parts, false)
    expect(folded.map((r) => r.key)).toEqual(['alpha-0', 'alpha-1', 'zeta-0', INTERNAL_FOLD_KEY])
    expect(folded.at(-1)).toMatchObject({ kind: 'internal-fold', topics: 1, partitions: 2, underReplicated: 1, offline: 0 })
    expect(partitionRows(parts, true).map((r) => r.key)).toEqual(['alpha-0', 'alpha-1', 'zeta-0', '__consumer_offsets-0', '__consumer_offsets-1'])
  })
})

describe('selection', () => {
  it('moves and clamps; a vanished or missing selection falls back to the first', () => {
    const keys = ['a', 'b', 'c']
    expect(moveSelection(keys, 'a', 1)).toBe('b')
    expect(moveSelection(keys, 'c', 1)).toBe('c')
    expect(moveSelection(keys, 'a', -1)).toBe('a')
    expect(moveSelection(keys, 'b', 10)).toBe('c')
    expect(moveSelection(keys, 'gone', 1)).toBe('a')
    expect(moveSelection(keys, undefined, 1)).toBe('a')
    expect(moveSelection([], 'a', 1)).toBeUndefined()
  })

  it('scrolls so the selected row is visible', () => {
    expect(scrollStart(5, 4, 10)).toBe(0)
    expect(scrollStart(100, 0, 10)).toBe(0)
    expect(scrollStart(100, 50, 10)).toBe(45)
    expect(scrollStart(100, 99, 10)).toBe(90)
  })
})

describe('actions', () => {
  it('broker keys: kill, start, pause and resume as the broker state allows', () => {
    expect(brokerAction('k', { id: 2, state: 'up' })).toEqual({ kind: 'kill', broker: 2 })
    expect(brokerAction('k', { id: 2, state: 'killed' })).toHaveProperty('refused')
    expect(brokerAction('s', { id: 2, state: 'killed' })).toEqual({ kind: 'start', broker: 2 })
    expect(brokerAction('s', { id: 2, state: 'up' })).toHaveProperty('refused')
    expect(brokerAction('s', { id: 2, state: 'paused' })).toEqual({ kind: 'resume', broker: 2 })
    expect(brokerAction('p', { id: 2, state: 'up' })).toEqual({ kind: 'pause', broker: 2 })
    expect(brokerAction('p', { id: 2, state: 'paused' })).toEqual({ kind: 'resume', broker: 2 })
    expect(brokerAction('p', { id: 2, state: 'killed' })).toHaveProperty('refused')
    for (const key of ['k', 's', 'p'] as const) expect(brokerAction(key, { id: 2, state: 'offline' })).toHaveProperty('refused')
  })

  it('failover needs a leader', () => {
    expect(failoverAction(partition('t', 3))).toEqual({ kind: 'failover', topic: 't', partition: 3 })
    expect(failoverAction(partition('t', 3, { leader: -1 }))).toHaveProperty('refused')
  })
})

describe('keys', () => {
  const data = { brokers: snapshotAt(0).brokers, partitions: snapshotAt(0).partitions }
  const press = (state: UiState, ...keys: Array<string | Record<string, boolean>>) => {
    let s = state
    let effect
    for (const k of keys) ({ state: s, effect } = typeof k === 'string' ? handleKey(s, k, {}, data) : handleKey(s, '', k, data))
    return { state: s, effect }
  }

  it('keys typed within one frame act on the selection the previous key made', () => {
    const { state } = press(initialUiState, { downArrow: true }, 'k')
    expect(state.pending).toEqual({ kind: 'kill', broker: 2 })
    expect(press(state, 'y').effect).toEqual({ run: { kind: 'kill', broker: 2 } })
    expect(press(state, { escape: true }).state.pending).toBeNull()
  })

  it('tab moves the arrows to the partitions; f asks to fail over the selected one', () => {
    const { state } = press(initialUiState, { tab: true }, { downArrow: true }, 'f')
    expect(state.focus).toBe('partitions')
    expect(state.pending).toEqual({ kind: 'failover', topic: 'orders', partition: 1 })
  })

  it('q quits with 0, Ctrl-C with 130; while a confirmation is asked, q cancels it', () => {
    expect(press(initialUiState, 'q').effect).toEqual({ exit: 0 })
    expect(handleKey(initialUiState, 'c', { ctrl: true }, data).effect).toEqual({ exit: 130 })
    const asked = press(initialUiState, 'k').state
    const cancelled = press(asked, 'q')
    expect(cancelled.effect).toBeUndefined()
    expect(cancelled.state.pending).toBeNull()
  })
})

describe('events', () => {
  it('merges history and live events without duplicates, oldest first, bounded', () => {
    const log = mergeEvents([], EVENTS.slice(0, 3))
    const merged = mergeEvents(log, [EVENTS[4]!, EVENTS[2]!, EVENTS[3]!])
    expect(merged.map((e) => e.type)).toEqual(['topic.created', 'broker.killed', 'broker.fenced', 'isr.shrunk', 'leader.changed'])
    const many: UiEvent[] = Array.from({ length: EVENTS_MAX + 50 }, (_, i) => ({ timestamp: new Date(1e12 + i).toISOString(), type: 'isr.expanded', message: `e${i}` }))
    const bounded = mergeEvents([], many)
    expect(bounded).toHaveLength(EVENTS_MAX)
    expect(bounded.at(-1)!.message).toBe(`e${EVENTS_MAX + 49}`)
  })

  it('events about internal topics are hidden (and counted) while those topics are folded', () => {
    const events: UiEvent[] = [
      { timestamp: '2026-12-01T10:00:00.000Z', type: 'leader.changed', topic: '__consumer_offsets', message: 'a' },
      { timestamp: '2026-12-01T10:00:00.000Z', type: 'leader.changed', topic: 'orders', message: 'b' },
      { timestamp: '2026-12-01T10:00:00.000Z', type: 'broker.fenced', message: 'c' },
    ]
    const parts = snapshotAt(0).partitions
    expect(visibleEvents(events, parts, false)).toEqual({ events: [events[1], events[2]], hidden: 1 })
    expect(visibleEvents(events, parts, true)).toEqual({ events, hidden: 0 })
  })

  it('leaves out producer id allocations', () => {
    expect(mergeEvents([], [{ timestamp: new Date().toISOString(), type: 'producer-ids.allocated', message: 'x' }])).toEqual([])
  })

  it('the last failover: the snapshot one, or a newer failover.measured event', () => {
    expect(lastFailover(snapshotAt(0), [])).toBeNull()
    expect(lastFailover(snapshotAt(0, { killed: true }), [])).toBe(FAILOVER)
    const newer = { ...FAILOVER, partition: 2, electedAt: '2026-12-01T10:05:00.000Z' }
    expect(lastFailover(snapshotAt(0, { killed: true }), [{ ...newer, timestamp: newer.electedAt, type: 'failover.measured' }])).toMatchObject({ partition: 2 })
    expect(failoverLine(FAILOVER)).toMatch(/^orders-0 leader 1 -> 2 \(epoch 1\) at .*: no leader for 1\.25 s, no writes for 1\.73 s$/)
    expect(failoverLine({ ...FAILOVER, unwritableMs: null })).toMatch(/no producer was writing$/)
  })
})

describe('format and layout', () => {
  it('formats rates, counts, durations and cuts long text', () => {
    expect([formatRate(null), formatRate(0), formatRate(2.345), formatRate(123.4), formatRate(12_345), formatRate(2_500_000)]).toEqual(['-', '0', '2.3', '123', '12k', '2.5M'])
    expect(formatCount(123, 10)).toBe('123')
    expect(formatCount(12_345_678_901, 10)).toBe('12.3G')
    expect([formatDuration(850), formatDuration(1_234), formatDuration(75_000)]).toEqual(['850 ms', '1.23 s', '75 s'])
    expect(truncate('abcdef', 4)).toBe('abc…')
  })

  it('fits the frame in the terminal height; 80x24 keeps a few partition rows', () => {
    const big = layout(40, 3, 10, 5, 3)
    const small = layout(24, 3, 10, 5, 3)
    const total = (l: ReturnType<typeof layout>) => 1 + 5 + 2 + l.partitionRows + 2 + l.groupRows + 1 + l.txnRows + 1 + l.quorumRows + 1 + l.eventRows + 1 + 2
    expect(total(big)).toBeLessThanOrEqual(39)
    expect(total(small)).toBeLessThanOrEqual(23)
    expect(small.partitionRows).toBeGreaterThanOrEqual(3)
    expect(big.eventRows).toBeGreaterThan(small.eventRows)
    expect([big.txnRows, layout(30, 3, 10, 5).txnRows, small.txnRows, layout(40, 3, 10).txnRows]).toEqual([3, 1, 0, 0])
    expect([big.quorumRows, layout(30, 3, 10, 5, 5).quorumRows, small.quorumRows, layout(40, 3, 10, 5).quorumRows]).toEqual([3, 3, 0, 0])
  })
})

describe('ui model: idle failovers fold into one line', () => {
  const measured = (partition: number, idle: boolean): UiEvent => ({
    timestamp: '2026-12-04T10:00:09.000Z',
    type: 'failover.measured',
    message: `failover of t-${partition} (leader 2 -> 1): no leader for 9.0 s, ${idle ? 'no producer was writing' : 'producers could not write for 9.2 s'}`,
    topic: 't',
    partition,
    from: 2,
    to: 1,
    electedAt: '2026-12-04T10:00:09.000Z',
    noLeaderMs: 9_000,
    unwritableMs: idle ? null : 9_200,
    lastWriteAt: idle ? null : '2026-12-04T10:00:00.000Z',
  })
  const elected: UiEvent = { timestamp: '2026-12-04T10:00:09.000Z', type: 'leader.changed', message: 'leader of t-0 moved from 2 to 1' }

  it('keeps the elections and the written partition, and says the idle ones once', () => {
    const events = [elected, measured(0, false), measured(1, true), measured(2, true), measured(3, true)]
    const { events: shown } = visibleEvents(events, [], false)
    expect(shown.map((e) => e.message)).toEqual([
      elected.message,
      events[1]!.message,
      'failover of 3 partitions (leader 2 lost): no leader for up to 9.00 s, no producer was writing: t-1, t-2, t-3',
    ])
    expect(shown.filter((e) => /no producer was writing/.test(e.message))).toHaveLength(1)
  })

  it('leaves a single idle failover as it is', () => {
    const one = measured(1, true)
    expect(foldIdleFailovers([elected, one])).toEqual([elected, one])
  })
})

describe('tui/ui controllerText', () => {
  it('names a broker, a dedicated controller, or none while the quorum has no leader', () => {
    expect(controllerText(2, [1, 2, 3])).toBe('broker 2')
    expect(controllerText(3001, [1, 2, 3])).toBe('controller 3001')
    expect(controllerText(-1, [1, 2, 3])).toBe('none (no quorum leader)')
  })
})
