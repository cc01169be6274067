/**
 * Measures each failover as its users felt it: how long a partition had no leader that could
 * serve it, and how long producers could not write to it.
 *
 * - The leader is *lost* when its broker is killed or paused while leading, or when the
 *   controller takes the leader away (leader -1). A move from one live leader to another (a
 *   controlled shutdown, `sluice failover`, a preferred election) loses nothing: 0 ms.
 * - It is *elected* at the next leader change to a live broker. `noLeaderMs` = elected - lost.
 * - Producers were *writing* if a produce to the partition was acknowledged within
 *   `writingWindowMs` before the loss (5 s: producers that batch write in bursts). Then
 *   `unwritableMs` = the first acknowledged write after the election - the last one before the
 *   loss. If nobody was writing, `unwritableMs` is null and the measure is told at the election;
 *   if the writes do not come back within `settleMs`, it is told then, with null.
 * - A leader that comes back before any election (a paused broker resumed in time) is no failover.
 *
 * Pure: time comes in as arguments, results go out through `emit`; the daemon feeds it leader
 * changes (metadata events), kills and pauses (runtime actions) and acknowledged produces.
 */

export interface FailoverMeasured {
  topic: string
  partition: number
  /** The leader that was lost; `to` the one elected. */
  from: number
  to: number
  leaderEpoch: number
  leaderLostAt: string
  electedAt: string
  noLeaderMs: number
  /** null: no producer was writing to the partition (or none came back within the settle time). */
  unwritableMs: number | null
  lastWriteAt: string | null
  firstWriteAt: string | null
  message: string
}

interface Pending {
  topic: string
  partition: number
  from: number
  lostAtMs: number
  lastWriteBeforeMs: number | null
  electedAtMs?: number
  to?: number
  leaderEpoch?: number
}

export interface FailoverTrackerOptions {
  emit: (m: FailoverMeasured) => void
  /** A producer counts as writing if it was acknowledged this recently before the loss. */
  writingWindowMs?: number
  /** How long after the election to wait for writes to resume. */
  settleMs?: number
}

const iso = (ms: number): string => new Date(ms).toISOString()
const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`)

export class FailoverTracker {
  /** topic -> partition -> time of the last acknowledged write. */
  private readonly lastWriteMs = new Map<string, number[]>()
  private readonly pending = new Map<string, Pending>()
  private readonly writingWindowMs: number
  private readonly settleMs: number

  constructor(private readonly opts: FailoverTrackerOptions) {
    this.writingWindowMs = opts.writingWindowMs ?? 5_000
    this.settleMs = opts.settleMs ?? 30_000
  }

  /** An acknowledged produce (the hot path: an array store, and a map lookup while a failover is open). */
  produced(topic: string, partition: number, nowMs: number): void {
    let writes = this.lastWriteMs.get(topic)
    if (writes === undefined) this.lastWriteMs.set(topic, (writes = []))
    writes[partition] = nowMs
    if (this.pending.size === 0) return
    const key = `${topic}-${partition}`
    const p = this.pending.get(key)
    if (p === undefined || p.electedAtMs === undefined || nowMs < p.electedAtMs) return
    this.finish(key, p, nowMs)
  }

  /** The leader's broker was killed or paused (or the controller left the partition leaderless). */
  leaderLost(topic: string, partition: number, leader: number, nowMs: number): void {
    const key = `${topic}-${partition}`
    const open = this.pending.get(key)
    if (open !== undefined) {
      if (open.electedAtMs === undefined) return
      // Lost again before writes came back: tell the first one as it stands.
      this.finish(key, open, undefined)
    }
    this.pending.set(key, { topic, partition, from: leader, lostAtMs: nowMs, lastWriteBeforeMs: this.recentWrite(topic, partition, nowMs) })
  }

  /** The leader's broker is back (resumed, restarted) before any election: no failover. */
  leaderBack(topic: string, partition: number, leader: number): void {
    const key = `${topic}-${partition}`
    const p = this.pending.get(key)
    if (p !== undefined && p.electedAtMs === undefined && p.from === leader) this.pending.delete(key)
  }

  /** A leader change committed by the controller. */
  leaderChanged(topic: string, partition: number, from: number, to: number, leaderEpoch: number, nowMs: number): void {
    if (to === -1) {
      this.leaderLost(topic, partition, from, nowMs)
      return
    }
    const key = `${topic}-${partition}`
    let p = this.pending.get(key)
    if (p !== undefined && p.electedAtMs !== undefined) {
      this.finish(key, p, undefined)
      p = undefined
    }
    if (p === undefined) {
      // A move between live leaders: nothing was lost before it.
      p = { topic, partition, from, lostAtMs: nowMs, lastWriteBeforeMs: this.recentWrite(topic, partition, nowMs) }
      this.pending.set(key, p)
    }
    p.electedAtMs = nowMs
    p.to = to
    p.leaderEpoch = leaderEpoch
    if (p.lastWriteBeforeMs === null) this.finish(key, p, undefined)
  }

  /** Tells the failovers whose writes did not come back within the settle time. */
  tick(nowMs: number): void {
    for (const [key, p] of this.pending) {
      if (p.electedAtMs !== undefined && nowMs - p.electedAtMs >= this.settleMs) this.finish(key, p, undefined)
    }
  }

  /** Partitions between a lost leader and the first write after the election. */
  get open(): number {
    return this.pending.size
  }

  private recentWrite(topic: string, partition: number, nowMs: number): number | null {
    const at = this.lastWriteMs.get(topic)?.[partition]
    return at !== undefined && nowMs - at <= this.writingWindowMs ? at : null
  }

  private finish(key: string, p: Pending, firstWriteMs: number | undefined): void {
    this.pending.delete(key)
    const electedAtMs = p.electedAtMs ?? p.lostAtMs
    const noLeaderMs = electedAtMs - p.lostAtMs
    const unwritableMs = firstWriteMs !== undefined && p.lastWriteBeforeMs !== null ? firstWriteMs - p.lastWriteBeforeMs : null
    const name = `${p.topic}-${p.partition}`
    const to = p.to ?? -1
    const writes =
      unwritableMs !== null
        ? `producers could not write for ${seconds(unwritableMs)}`
        : p.lastWriteBeforeMs === null
          ? 'no producer was writing'
          : 'writes had not resumed when measured'
    this.opts.emit({
      topic: p.topic,
      partition: p.partition,
      from: p.from,
      to,
      leaderEpoch: p.leaderEpoch ?? -1,
      leaderLostAt: iso(p.lostAtMs),
      electedAt: iso(electedAtMs),
      noLeaderMs,
      unwritableMs,
      lastWriteAt: p.lastWriteBeforeMs === null ? null : iso(p.lastWriteBeforeMs),
      firstWriteAt: firstWriteMs === undefined || unwritableMs === null ? null : iso(firstWriteMs),
      message: `failover of ${name} (leader ${p.from} -> ${to}): no leader for ${seconds(noLeaderMs)}, ${writes}`,
    })
  }
}
