/**
 * A Raft voter's durable state (KIP-595's quorum-state file and the metadata log, KIP-630's
 * snapshots) behind one interface: a LevelDB store for the daemon, MemoryRaftLogStore for unit
 * tests and the seeded simulation. The Raft node waits for each promise before it acts on what it
 * wrote (a vote is answered, an entry acknowledged in the next fetch, only once durable).
 */
import type { Scheduler } from '../scheduler.js'

export interface RaftLogEntry {
  offset: number
  epoch: number
  value: Uint8Array
}

export interface QuorumStateRecord {
  epoch: number
  votedFor: number | null
  leaderId: number | null
}

/** A snapshot of the state machine; it covers every offset below `offset`, the last of them in `epoch`. */
export interface RaftSnapshotRecord {
  offset: number
  epoch: number
  data: Uint8Array
}

/** A voter's durable state. Every method resolves once durable; the Raft node waits for it before it answers. */
export interface RaftLogStore {
  open(): Promise<{ quorum: QuorumStateRecord | null; snapshot: RaftSnapshotRecord | null; entries: RaftLogEntry[] }>
  saveQuorumState(state: QuorumStateRecord): Promise<void>
  append(entries: readonly RaftLogEntry[]): Promise<void>
  /** Removes every entry at or after `offset` (divergence truncation). */
  truncateFrom(offset: number): Promise<void>
  /** Stores a snapshot and removes the entries below its offset. */
  saveSnapshot(snapshot: RaftSnapshotRecord): Promise<void>
  close(): Promise<void>
}

export interface MemoryRaftLogStoreOptions {
  /**
   * With both set, each write becomes durable `writeDelayMs()` virtual ms after the previous one
   * (writes stay in order, as one fsync'd file's), so a crash between a write and its durability
   * loses it. Without them every write is durable at once (resolved through a microtask).
   */
  scheduler?: Scheduler
  writeDelayMs?: () => number
}

interface DurableState {
  quorum: QuorumStateRecord | null
  snapshot: RaftSnapshotRecord | null
  entries: RaftLogEntry[]
}

/**
 * The store in memory. What `open()` returns is what was durable: `crash()` drops the writes not
 * yet durable (their promises never settle, as a process that died never hears back), and the
 * next incarnation opens the same object.
 */
export class MemoryRaftLogStore implements RaftLogStore {
  private durable: DurableState = { quorum: null, snapshot: null, entries: [] }
  private readonly pending: Array<{ apply: (s: DurableState) => void; resolve: () => void; reject: (err: unknown) => void }> = []
  private cancelTimer: (() => void) | null = null
  private closed = false

  constructor(private readonly options: MemoryRaftLogStoreOptions = {}) {}

  open(): Promise<DurableState> {
    this.closed = false
    const s = this.durable
    return Promise.resolve({
      quorum: s.quorum ? { ...s.quorum } : null,
      snapshot: s.snapshot ? { ...s.snapshot } : null,
      entries: s.entries.map((e) => ({ ...e })),
    })
  }

  saveQuorumState(state: QuorumStateRecord): Promise<void> {
    const copy = { ...state }
    return this.write((s) => {
      s.quorum = copy
    })
  }

  append(entries: readonly RaftLogEntry[]): Promise<void> {
    const copies = entries.map((e) => ({ ...e }))
    return this.write((s) => {
      // Checked whole before any of it is written: a refused append writes nothing.
      const end = (s.entries.at(-1)?.offset ?? (s.snapshot?.offset ?? 0) - 1) + 1
      copies.forEach((e, i) => {
        if (e.offset !== end + i) throw new Error(`append at ${e.offset}, log end is ${end + i}`)
      })
      s.entries.push(...copies)
    })
  }

  truncateFrom(offset: number): Promise<void> {
    return this.write((s) => {
      s.entries = s.entries.filter((e) => e.offset < offset)
    })
  }

  saveSnapshot(snapshot: RaftSnapshotRecord): Promise<void> {
    const copy = { ...snapshot }
    return this.write((s) => {
      if (s.snapshot && s.snapshot.offset >= copy.offset) return
      s.snapshot = copy
      const kept = s.entries.filter((e) => e.offset >= copy.offset)
      // Entries past the snapshot are kept only if they continue it (a snapshot fetched from a
      // leader replaces a log that diverged from it).
      const first = kept[0]
      s.entries = first && first.offset === copy.offset ? kept : []
    })
  }

  close(): Promise<void> {
    this.closed = true
    return Promise.resolve()
  }

  /** The process died: writes not yet durable are lost and their promises never settle. */
  crash(): void {
    this.pending.length = 0
    this.cancelTimer?.()
    this.cancelTimer = null
  }

  /** What is durable now (for the simulation's checks). */
  durableState(): Readonly<DurableState> {
    return this.durable
  }

  private write(apply: (s: DurableState) => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('raft log store closed'))
    const { scheduler, writeDelayMs } = this.options
    if (!scheduler || !writeDelayMs) {
      try {
        apply(this.durable)
        return Promise.resolve()
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ apply, resolve, reject })
      if (!this.cancelTimer) this.armTimer()
    })
  }

  private armTimer(): void {
    const { scheduler, writeDelayMs } = this.options
    this.cancelTimer = scheduler!.setTimer(() => {
      this.cancelTimer = null
      const next = this.pending.shift()
      if (!next) return
      try {
        next.apply(this.durable)
        next.resolve()
      } catch (err) {
        next.reject(err)
      }
      if (this.pending.length > 0) this.armTimer()
    }, writeDelayMs!())
  }
}
