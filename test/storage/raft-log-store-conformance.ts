/**
 * The conformance suite of `RaftLogStore` (src/cluster/raft/log-store.ts): every implementation
 * runs it (raft-log-store.test.ts: the memory store and the LevelDB one). A harness hands out
 * store objects over one piece of storage (a directory, a memory store's durable state); opening
 * another after close() is a voter's restart, and it must return exactly what was durable.
 *
 * The model-based case runs `RAFT_STORE_SEEDS` seeds (3 by default, so the suite stays fast;
 * `RAFT_STORE_SEEDS=200 npx vitest run test/storage/raft-log-store.test.ts` for a longer sweep).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { QuorumStateRecord, RaftLogEntry, RaftLogStore, RaftSnapshotRecord } from '../../src/cluster/raft/log-store.js'
import { seededRng } from '../../src/cluster/rng.js'

export interface RaftStoreHarness {
  /** A store object over the harness's storage, not opened yet. */
  store(): RaftLogStore
  cleanup(): Promise<void>
}

export type MakeRaftStoreHarness = () => Promise<RaftStoreHarness>

type Opened = Awaited<ReturnType<RaftLogStore['open']>>

/** Values as hex, so that a Buffer and a Uint8Array with the same bytes compare equal. */
function plain(state: Opened): unknown {
  return {
    quorum: state.quorum,
    snapshot: state.snapshot && { ...state.snapshot, data: Buffer.from(state.snapshot.data).toString('hex') },
    entries: state.entries.map((e) => ({ ...e, value: Buffer.from(e.value).toString('hex') })),
  }
}

/** Entries [from, to) in `epoch`, each value distinct and binary (a 0x00 and a 0xff in it). */
function entries(from: number, to: number, epoch: number): RaftLogEntry[] {
  const out: RaftLogEntry[] = []
  for (let offset = from; offset < to; offset++) out.push({ offset, epoch, value: Buffer.from([0, 0xff, ...Buffer.from(`e${epoch}@${offset}`)]) })
  return out
}

const snapshot = (offset: number, epoch: number, text = `image@${offset}`): RaftSnapshotRecord => ({ offset, epoch, data: Buffer.from(text) })

/** What a store must hold after each kind of write: the contract, as plainly as it can be said. */
class Model {
  quorum: QuorumStateRecord | null = null
  snapshot: RaftSnapshotRecord | null = null
  entries: RaftLogEntry[] = []

  get start(): number {
    return this.snapshot?.offset ?? 0
  }
  get end(): number {
    return this.start + this.entries.length
  }
  truncateFrom(offset: number): void {
    this.entries = this.entries.filter((e) => e.offset < offset)
  }
  saveSnapshot(s: RaftSnapshotRecord): void {
    if (this.snapshot && this.snapshot.offset >= s.offset) return
    this.snapshot = s
    this.entries = this.entries.filter((e) => e.offset >= s.offset)
  }
  state(): Opened {
    return { quorum: this.quorum, snapshot: this.snapshot, entries: this.entries }
  }
}

export function runRaftLogStoreConformance(name: string, makeHarness: MakeRaftStoreHarness): void {
  describe(`RaftLogStore conformance: ${name}`, () => {
    let harness: RaftStoreHarness
    let store: RaftLogStore

    beforeEach(async () => {
      harness = await makeHarness()
      store = harness.store()
      await store.open()
    })
    afterEach(async () => {
      await store.close()
      await harness.cleanup()
    })

    /** A restart: close, then open a new store object over the same storage. */
    const reopen = async (): Promise<Opened> => {
      await store.close()
      store = harness.store()
      return store.open()
    }

    it('opens empty the first time', async () => {
      expect(plain(await reopen())).toEqual({ quorum: null, snapshot: null, entries: [] })
    })

    it('keeps the last quorum state written, nulls included', async () => {
      await store.saveQuorumState({ epoch: 1, votedFor: 2, leaderId: null })
      await store.saveQuorumState({ epoch: 2, votedFor: null, leaderId: 3 })
      expect((await reopen()).quorum).toEqual({ epoch: 2, votedFor: null, leaderId: 3 })
      await store.saveQuorumState({ epoch: 3, votedFor: 1, leaderId: 1 })
      expect((await reopen()).quorum).toEqual({ epoch: 3, votedFor: 1, leaderId: 1 })
    })

    it('appends contiguous entries across calls and reopens with every byte of them', async () => {
      await store.append(entries(0, 3, 1))
      await store.append([])
      await store.append([...entries(3, 4, 1), ...entries(4, 6, 2)])
      await store.append([{ offset: 6, epoch: 2, value: new Uint8Array(0) }])
      const expected = [...entries(0, 4, 1), ...entries(4, 6, 2), { offset: 6, epoch: 2, value: new Uint8Array(0) }]
      expect(plain(await reopen())).toEqual(plain({ quorum: null, snapshot: null, entries: expected }))
    })

    it('refuses an append that does not start at the log end, and writes none of it', async () => {
      await store.append(entries(0, 3, 1))
      // Called through an async function: a store may refuse before it returns its promise.
      await expect((async () => store.append(entries(4, 5, 1)))()).rejects.toThrow()
      await expect((async () => store.append(entries(2, 4, 1)))()).rejects.toThrow()
      expect(plain(await reopen())).toEqual(plain({ quorum: null, snapshot: null, entries: entries(0, 3, 1) }))
      await store.append(entries(3, 4, 2))
      expect((await reopen()).entries.map((e) => [e.offset, e.epoch])).toEqual([[0, 1], [1, 1], [2, 1], [3, 2]])
    })

    it('truncates from an offset (divergence) and appends again from there, in a new epoch', async () => {
      await store.append(entries(0, 6, 1))
      await store.truncateFrom(4)
      await store.append(entries(4, 5, 3))
      expect(plain(await reopen())).toEqual(plain({ quorum: null, snapshot: null, entries: [...entries(0, 4, 1), ...entries(4, 5, 3)] }))
      await store.truncateFrom(9) // beyond the end: nothing goes
      expect((await reopen()).entries).toHaveLength(5)
      await store.truncateFrom(0)
      expect((await reopen()).entries).toEqual([])
      await store.append(entries(0, 1, 4))
      expect((await reopen()).entries.map((e) => [e.offset, e.epoch])).toEqual([[0, 4]])
    })

    it('a snapshot removes the entries below its offset and keeps the rest', async () => {
      await store.append(entries(0, 10, 1))
      await store.saveSnapshot(snapshot(6, 1))
      expect(plain(await reopen())).toEqual(plain({ quorum: null, snapshot: snapshot(6, 1), entries: entries(6, 10, 1) }))
      await store.append(entries(10, 11, 2))
      expect((await reopen()).entries.map((e) => e.offset)).toEqual([6, 7, 8, 9, 10])
    })

    it('a snapshot past the log end (fetched from the leader) leaves no entries; the log continues from it', async () => {
      await store.append(entries(0, 3, 1))
      await store.saveSnapshot(snapshot(8, 2))
      expect(plain(await reopen())).toEqual(plain({ quorum: null, snapshot: snapshot(8, 2), entries: [] }))
      await expect((async () => store.append(entries(3, 4, 2)))()).rejects.toThrow()
      await store.append(entries(8, 9, 2))
      expect((await reopen()).entries.map((e) => e.offset)).toEqual([8])
    })

    it('ignores a snapshot no newer than the stored one', async () => {
      await store.append(entries(0, 10, 1))
      await store.saveSnapshot(snapshot(6, 1, 'kept'))
      await store.saveSnapshot(snapshot(6, 1, 'same offset'))
      await store.saveSnapshot(snapshot(3, 1, 'older'))
      const back = await reopen()
      expect(Buffer.from(back.snapshot!.data).toString()).toBe('kept')
      expect(back.entries.map((e) => e.offset)).toEqual([6, 7, 8, 9])
    })

    it('a truncation below the snapshot empties the log and keeps the snapshot', async () => {
      await store.append(entries(0, 10, 1))
      await store.saveSnapshot(snapshot(5, 1))
      await store.truncateFrom(2)
      expect(plain(await reopen())).toEqual(plain({ quorum: null, snapshot: snapshot(5, 1), entries: [] }))
      await store.append(entries(5, 6, 2))
      expect((await reopen()).entries.map((e) => e.offset)).toEqual([5])
    })

    it('applies writes issued without waiting in the order they were called', async () => {
      const writes = [
        store.saveQuorumState({ epoch: 1, votedFor: 1, leaderId: null }),
        store.append(entries(0, 4, 1)),
        store.truncateFrom(2),
        store.append(entries(2, 5, 2)),
        store.saveSnapshot(snapshot(3, 2)),
        store.saveQuorumState({ epoch: 2, votedFor: 1, leaderId: 1 }),
        store.append(entries(5, 6, 2)),
      ]
      await Promise.all(writes)
      expect(plain(await reopen())).toEqual(
        plain({ quorum: { epoch: 2, votedFor: 1, leaderId: 1 }, snapshot: snapshot(3, 2), entries: entries(3, 6, 2) }),
      )
    })

    it('refuses writes once closed', async () => {
      await store.close()
      await expect((async () => store.append(entries(0, 1, 1)))()).rejects.toThrow()
      await expect((async () => store.saveQuorumState({ epoch: 1, votedFor: null, leaderId: null }))()).rejects.toThrow()
      store = harness.store()
      expect((await store.open()).entries).toEqual([])
    })

    const seeds = Number(process.env.RAFT_STORE_SEEDS ?? 3)
    it(`matches a model through random writes and restarts (${seeds} seeds)`, async () => {
      for (let seed = 1; seed <= seeds; seed++) {
        await store.close()
        await harness.cleanup()
        harness = await makeHarness()
        store = harness.store()
        await store.open()
        const rng = seededRng(seed)
        const model = new Model()
        let epoch = 1
        for (let step = 0; step < 120; step++) {
          const what = `seed ${seed} step ${step}`
          const roll = rng.int(100)
          if (roll < 40) {
            const n = 1 + rng.int(4)
            const batch = entries(model.end, model.end + n, epoch)
            await store.append(batch)
            model.entries.push(...batch)
          } else if (roll < 55) {
            epoch += rng.int(2)
            const q = { epoch, votedFor: rng.int(3) === 0 ? null : rng.int(5), leaderId: rng.int(2) === 0 ? null : rng.int(5) }
            await store.saveQuorumState(q)
            model.quorum = q
          } else if (roll < 70) {
            const offset = Math.max(0, model.start - 2 + rng.int(model.end - model.start + 5))
            await store.truncateFrom(offset)
            model.truncateFrom(offset)
            epoch++
          } else if (roll < 80) {
            const s = snapshot(model.start + rng.int(model.end - model.start + 4), epoch, `image ${seed}/${step}`)
            await store.saveSnapshot(s)
            model.saveSnapshot(s)
          } else {
            expect(plain(await reopen()), what).toEqual(plain(model.state()))
          }
        }
        expect(plain(await reopen()), `seed ${seed} at the end`).toEqual(plain(model.state()))
      }
    })
  })
}
