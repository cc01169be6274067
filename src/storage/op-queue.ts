/**
 * Call-order execution of one partition's mutations, with two kinds of operation:
 *  - pipelined (appends): the synchronous part (offset assignment, building the write) runs in call
 *    order, and the next operation may start while the write is still in flight: that is what lets
 *    concurrent appends share one group commit;
 *  - exclusive (truncation, retention, deletion, close): waits until every earlier operation's
 *    write is durable, and holds back later operations until it finishes.
 * With no exclusive operation queued, a pipelined operation starts synchronously in the call.
 */

type Op<T> = () => Promise<T>

export class OpQueue {
  /** Settles when the synchronous part of the last queued operation ran (or, exclusive, it finished). */
  private tail: Promise<void> | null = null
  private queued = 0

  /** @param writesDone settles once every write started so far is durable (the backend is FIFO). */
  constructor(private readonly writesDone: () => Promise<unknown>) {}

  run<T>(exclusive: boolean, op: Op<T>): Promise<T> {
    if (this.tail === null && !exclusive) return this.start(op)
    const prev = this.tail ?? Promise.resolve()
    this.queued++
    let settle!: { resolve: (v: T) => void; reject: (e: unknown) => void }
    const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }))
    const step = prev
      .then(async () => {
        if (exclusive) await this.writesDone().catch(() => undefined)
        const done = this.start(op)
        done.then(settle.resolve, settle.reject)
        if (exclusive) await done.catch(() => undefined)
      })
      .finally(() => {
        if (--this.queued === 0) this.tail = null
      })
    this.tail = step
    return result
  }

  private start<T>(op: Op<T>): Promise<T> {
    try {
      return op()
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
