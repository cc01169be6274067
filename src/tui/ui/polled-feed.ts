/**
 * A dashboard pane's feed: its state, refreshed every interval by a RefreshLoop and told to the
 * listeners at each change. The panes' feeds (groups, transactions, the controller quorum) differ
 * only in how a refresh reads and shapes its answer.
 */
import { RefreshLoop } from './refresh-loop.js'

export abstract class PolledFeed<S> {
  protected state: S
  private readonly listeners = new Set<(s: S) => void>()
  protected readonly loop: RefreshLoop

  constructor(initial: S, intervalMs: number) {
    this.state = initial
    this.loop = new RefreshLoop(intervalMs, () => this.refresh())
  }

  get current(): S {
    return this.state
  }

  onChange(listener: (s: S) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  start(): void {
    this.loop.start()
  }

  async stop(): Promise<void> {
    this.loop.stop()
    await this.loop.settled()
  }

  /** One read: sets the new state, or keeps the last with the error (shown dimmed). */
  abstract refresh(): Promise<void>

  protected set(state: S): void {
    this.state = state
    for (const l of this.listeners) l(state)
  }
}
