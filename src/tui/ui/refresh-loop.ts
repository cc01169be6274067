/**
 * The dashboard's Kafka feeds (groups, transactions) refresh on a timer, off the render path: one
 * refresh at a time, the next `intervalMs` after the previous one ended (a slow cluster delays
 * the next, it never piles them up), until stopped.
 */
export class RefreshLoop {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stoppedFlag = false

  constructor(
    private readonly intervalMs: number,
    private readonly refresh: () => Promise<void>,
  ) {}

  /** True once stop() was called: a refresh under way checks it before it publishes. */
  get stopped(): boolean {
    return this.stoppedFlag
  }

  start(): void {
    const tick = (): void => {
      this.running = this.refresh().finally(() => {
        this.running = undefined
        if (!this.stoppedFlag) this.timer = setTimeout(tick, this.intervalMs)
      })
    }
    tick()
  }

  /** No refresh starts after this (the one under way ends on its own: see settled()). */
  stop(): void {
    this.stoppedFlag = true
    clearTimeout(this.timer)
  }

  /** Resolves when the refresh under way, if any, has ended (call after stop()). */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined)
  }
}
