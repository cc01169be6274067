/**
 * A budget of events per second, for events a busy cluster could tell thousands of times a second
 * (a transaction committed): the first `perSecond` of each second are told one by one, the rest
 * only counted by kind, for one summary line each. Pure: time is passed in.
 */
export class EventBudget<K> {
  private windowStartMs = Number.NEGATIVE_INFINITY
  private inWindow = 0
  private readonly suppressed = new Map<K, number>()

  constructor(private readonly perSecond: number) {}

  /** True when this event may be told; false when it is only counted. */
  take(kind: K, nowMs: number): boolean {
    if (nowMs - this.windowStartMs >= 1000) {
      this.windowStartMs = nowMs
      this.inWindow = 0
    }
    if (++this.inWindow <= this.perSecond) return true
    this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1)
    return false
  }

  /** The counts of events not told since the last drain, by kind; clears them. */
  drain(): [K, number][] {
    const out = [...this.suppressed]
    this.suppressed.clear()
    return out
  }
}
