/**
 * The metadata log on a Raft quorum (KRaft's `__cluster_metadata`, KIP-595): a MetadataPersistence
 * whose records are committed by N in-process voters (`cluster/raft/node.ts` RaftNode), each with
 * its own RaftLogStore (a LevelDB per voter under <home>/controllers/<id> in the daemon, memory in
 * the tests), exchanging their messages through a QuorumTransport (in-process: delivered through
 * the Scheduler, through the brokers' link faults: a cut link cuts two voters).
 *
 * One `append` is one Raft entry: its value is the records and their timestamp, JSON-encoded
 * (`{t, r}`; the cluster id, once, as `{t, r: [], c}`). It is proposed on the current leader and
 * resolves once committed (and told to the commit stream). An entry lost with its leader (the next leader committed another entry,
 * or a LeaderChange, at its offset) is proposed again; there is no leader while an election runs,
 * so an append waits, and fails with QUORUM_NO_MAJORITY after `appendTimeoutMs`. A failed append
 * may still commit later, once a majority is back (when the leader that appended it, or a voter
 * it reached, leads then): its records then count in the metadata offsets as any other. So the
 * controller applies what the commit stream (`onCommit`) tells, fed by `applyCommitted` and
 * `applySnapshot`, and after a failed append waits for `settled()` before its next command.
 *
 * Metadata offsets count metadata records only, in commit order: the first record of the first
 * committed entry is 0, and an entry's records take the next offsets one by one. Raft's offsets
 * are not metadata offsets: LeaderChange entries (one per epoch) and the cluster id's entry take a
 * Raft offset and no metadata offset. Every voter commits the same entries in the same order, so
 * the mapping is the same whichever voter committed first; the committed records are applied here
 * once, fed by every voter's `onCommitted` (an entry below what was already applied is skipped),
 * to this log's own MetadataImage (what a snapshot stores) and to `records` (what `readAll` gives).
 *
 * Snapshots (KIP-630): the metadata image at a metadata offset, not the history. `snapshot()` has
 * each voter that applied everything committed store the cluster id, the metadata offset of the
 * last record applied, its timestamp and `imageRecords(image)` (the fewest records that rebuild
 * the image), and drop its entries below. `open()` starts from the furthest snapshot a voter
 * holds: it returns the snapshot's records first, every one at the snapshot's metadata offset
 * (flagged `snapshot`: the image then, not changes committed there; the controller driver applies
 * them with commitAt, so its image's offset ends at the snapshot's), then the records of the
 * entries committed after it at their own offsets. The compaction changes no offset: the next
 * record committed takes the snapshot's offset plus one, as it would have without it. So memory
 * holds the image's records and what was committed since the last snapshot taken or loaded here,
 * and `readAll` (`cluster events`) gives the same: the history before a snapshot is gone. With
 * `maxRecordBytesBetweenSnapshots` (KRaft's metadata.log.max.record.bytes.between.snapshots) each
 * voter snapshots by itself, as each KRaft node does: once the data entries it committed since its
 * last snapshot (or its start) hold that many bytes, one scheduler turn later (not inside the
 * Raft node's commit, whose caller still reads the log). A voter down meanwhile, whose log ends
 * below the leader's snapshot, is sent the snapshot when it fetches again (RaftNode's FetchSnapshot).
 *
 * Startup: voters that start together do not wait out an election timeout: `open()` has the last
 * known leader (else the lowest id) campaign at once (RaftNode.campaign: a pre-vote, so a voter
 * whose log is behind just loses it and the timeouts elect). With long-polled fetches
 * (`fetchMaxWaitMs`) a follower hears of a new entry as soon as the leader appends it.
 *
 * Measured on this VM (3 voters on LevelDB, the daemon's timings in cluster-runtime.ts, measured
 * with a script calling open(), clusterId() and 200 sequential appends): `open()` with
 * clusterId() 23-34 ms (fresh or reopened), a sequential append 3.8 ms. Before the campaign at
 * once and the long polls: 1.2 s and 28 ms.
 *
 * Not done: voters over the network (the transport is in-process), voter changes. Observers (the
 * brokers following the log) are ClusterNode's: it offers them each commit (metadata-follower.ts).
 */
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { SLUICE_DEFAULTS } from '../cluster/configs.js'
import { imageRecords, MetadataImage, type MetadataRecord } from '../cluster/metadata.js'
import type { RaftLogEntry, RaftLogStore, RaftSnapshotRecord } from '../cluster/raft/log-store.js'
import { RaftNode, type RaftNodeOptions } from '../cluster/raft/node.js'
import type { QuorumView } from '../cluster/raft/quorum-view.js'
import type { QuorumState } from '../cluster/raft/quorum-state.js'
import { seededRng, type Rng } from '../cluster/rng.js'
import type { Scheduler } from '../cluster/scheduler.js'
import { SluiceError } from '../common/errors.js'
import { LevelRaftLogStore } from '../storage/raft-log-store.js'
import type { CommitListener, MetadataPersistence, StoredRecord } from './metadata-log.js'
import type { QuorumTransport } from './quorum-transport.js'

/**
 * The daemon's `appendTimeoutMs` (the simulation's too): how long a metadata change waits for the
 * quorum to commit it before QUORUM_NO_MAJORITY: a few elections' worth (one takes about a fetch
 * timeout), short enough that a client retrying the refusal hears of it in seconds.
 */
export const QUORUM_APPEND_TIMEOUT_MS = 3_000

/** Each voter's store in the daemon: a LevelDB in <home>/controllers/<id>. */

export const levelRaftStores =
  (home: string) =>
  (id: number): RaftLogStore =>
    new LevelRaftLogStore(path.join(home, 'controllers', String(id)))

/** The Raft timings a voter runs with (RaftNodeOptions' defaults when not given). */
export type RaftTimings = Pick<RaftNodeOptions, 'electionTimeoutMs' | 'fetchTimeoutMs' | 'electionBackoffMaxMs' | 'requestTimeoutMs' | 'fetchIntervalMs' | 'fetchMaxWaitMs'>

export interface QuorumMetadataLogOptions {
  voterIds: readonly number[]
  /** Voter `id`'s store, called at each start of the voter (the memory stores of a test return the same object each time). */
  storeOf: (id: number) => RaftLogStore
  transport: QuorumTransport
  scheduler: Scheduler
  /** Seeds each voter's own rng (election timeouts). */
  rng: Rng
  raft?: RaftTimings
  /** How long an append (and open) waits for a leader to commit it before QUORUM_NO_MAJORITY. */
  appendTimeoutMs?: number
  /** How often a waiting append looks again for a leader, or at whether its entry was lost. */
  pollMs?: number
  /** A new cluster id (22 characters of URL-safe base64, as Kafka's). */
  newClusterId?: () => string
  /**
   * metadata.log.max.record.bytes.between.snapshots, read at each commit: a voter snapshots once
   * the data entries it committed since its last snapshot hold this many bytes. Never when not given.
   */
  maxRecordBytesBetweenSnapshots?: () => number
}

export type { QuorumView, QuorumVoterView } from '../cluster/raft/quorum-view.js'

/** A voter's Raft state changed (its role, epoch, vote or leader). */
export type VoterStateListener = (voterId: number, prev: Readonly<QuorumState>, next: Readonly<QuorumState>) => void

/** A replica's last fetch from a leader, and when it last had all the leader had (KIP-836). */
interface Fetched {
  epoch: number
  offset: number
  atMs: number
  /** The leader's log end at that fetch. */
  leaderEndOffset: number
  caughtUpMs: number | null
}

interface Voter {
  id: number
  node: RaftNode | null
  store: RaftLogStore | null
  /** A stop or crash still closing the store: the next start waits for it. */
  closing: Promise<void>
  /** The last fetch each replica made to this voter while it led, in the epoch it led. */
  fetches: Map<number, Fetched>
  /** Bytes of the data entries this voter committed since its last snapshot (or its start). */
  bytesSinceSnapshot: number
  /** A snapshot of this voter is due at the next scheduler turn. */
  snapshotDue: boolean
}

interface EntryValue {
  t: number
  r: MetadataRecord[]
  c?: string
}

/** A snapshot's data: the image at metadata offset `o` (its last record's), as imageRecords gives it. */
interface SnapshotValue {
  /** The cluster id (null before its entry committed). */
  c: string | null
  /** The metadata offset of the last record applied to the image; -1 for none. */
  o: number
  /** The timestamp of the last entry applied: the time the image is of. */
  t: number
  r: MetadataRecord[]
}

interface Proposal {
  offset: number
  epoch: number
  result: number | 'lost' | undefined
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
const decode = <T>(bytes: Uint8Array): T => JSON.parse(decoder.decode(bytes)) as T

/**
 * Decodes a snapshot's data. One written before snapshots held the image (`{c, records}`: every
 * committed record) is compacted to the image as it loads, so such a home still starts.
 */
function decodeSnapshot(data: Uint8Array): SnapshotValue {
  const value = decode<SnapshotValue | { c: string | null; records: StoredRecord[] }>(data)
  if (!('records' in value)) return value
  const image = new MetadataImage()
  for (const s of value.records) image.apply(s.record, s.offset)
  return { c: value.c, o: image.offset, t: value.records.at(-1)?.timestampMs ?? 0, r: imageRecords(image) }
}

/** A snapshot's records as open() and readAll() give them: each at the snapshot's metadata offset. */
const snapshotStored = (value: SnapshotValue): StoredRecord[] => value.r.map((record) => ({ offset: value.o, timestampMs: value.t, record, snapshot: true }))

export class QuorumMetadataLog implements MetadataPersistence {
  private readonly voters: Voter[]
  /**
   * The metadata image of every record applied here (its offset: the last one's), what a snapshot
   * stores; its static broker configs are never read (a snapshot holds only the metadata records).
   */
  private image = new MetadataImage()
  /** The records of the last snapshot taken or loaded here, each at its metadata offset; none before one. */
  private snapshotRecords: StoredRecord[] = []
  /** The committed metadata records since that snapshot (all of them before one), oldest first. */
  private records: StoredRecord[] = []
  /** The timestamp of the last data entry applied (a snapshot's records carry it). */
  private lastTimestampMs = 0
  private cluster: string | null = null
  /** The last snapshot encoded (its data, and its records as readAll gives them), and the Raft offset it covers up to. */
  private encodedSnapshot: { at: number; data: Uint8Array; stored: StoredRecord[] } | null = null
  /** Raft offsets below this are applied to `records` (the next data entry to apply is at or after it). */
  private nextRaftOffset = 0
  private readonly proposals = new Set<Proposal>()
  private wakeups: (() => void)[] = []
  private listener: CommitListener = () => undefined
  private stateListener: VoterStateListener = () => undefined
  /** Whether open() returned: the records committed before it are its answer, not the stream's. */
  private opened = false
  private readonly appendTimeoutMs: number
  private readonly pollMs: number

  constructor(private readonly o: QuorumMetadataLogOptions) {
    if (o.voterIds.length === 0) throw new Error('a quorum needs at least one voter')
    this.voters = o.voterIds.map((id) => ({ id, node: null, store: null, closing: Promise.resolve(), fetches: new Map(), bytesSinceSnapshot: 0, snapshotDue: false }))
    this.appendTimeoutMs = o.appendTimeoutMs ?? 15_000
    this.pollMs = o.pollMs ?? 10
  }

  /**
   * Starts every voter, waits for a leader to commit its epoch's first entry (so that everything
   * before it is known committed) and returns the committed records. Throws QUORUM_NO_MAJORITY
   * when no leader commits within `appendTimeoutMs` (the voters keep running: `close()` them).
   */
  async open(): Promise<StoredRecord[]> {
    await Promise.all(this.voters.map((v) => this.startVoter(v.id)))
    this.campaignFirst()
    const deadlineMs = this.o.scheduler.nowMs() + this.appendTimeoutMs
    while (!this.leaderCommittedItsEpoch()) await this.waitUntil(deadlineMs, 'open the metadata log')
    this.opened = true
    return this.committedRecords()
  }

  /**
   * Every voter started together in this process: rather than all of them waiting out an election
   * timeout (1-2 s), the last known leader (the one the highest epoch names), else the lowest id,
   * campaigns at once. Its pre-vote fails if its log is behind a majority's; the timeouts elect then.
   */
  private campaignFirst(): void {
    if (this.leader()) return
    let last: { epoch: number; leaderId: number | null } = { epoch: -1, leaderId: null }
    for (const v of this.voters) if (v.node && v.node.state.epoch > last.epoch) last = v.node.state
    const first = this.voters.find((v) => v.id === last.leaderId && v.node) ?? [...this.voters].sort((a, b) => a.id - b.id).find((v) => v.node)
    first?.node?.campaign()
  }

  /** The Raft offset past the last entry applied here (what was told to the commit stream). */
  position(): number {
    return this.nextRaftOffset
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener
  }

  /** Tells every voter's state changes from now on (the daemon's quorum events: elections). */
  onVoterState(listener: VoterStateListener): void {
    this.stateListener = listener
  }

  async settled(sinceMs: number): Promise<void> {
    const deadlineMs = sinceMs + this.appendTimeoutMs
    for (;;) {
      const leader = this.leader()
      if (leader && this.leaderCommittedItsEpoch() && leader.highWatermark === leader.logEndOffset) return
      await this.waitUntil(deadlineMs, 'commit a metadata change')
    }
  }

  async clusterId(): Promise<string> {
    if (this.cluster) return this.cluster
    const id = this.o.newClusterId?.() ?? randomBytes(16).toString('base64url')
    // Two first starts racing both propose one: the first committed is the cluster's.
    await this.commit(encode({ t: this.o.scheduler.nowMs(), r: [], c: id } satisfies EntryValue))
    return this.cluster!
  }

  async append(records: MetadataRecord[], timestampMs: number): Promise<number> {
    if (records.length === 0) return this.metadataEndOffset()
    return this.commit(encode({ t: timestampMs, r: records } satisfies EntryValue))
  }

  /** The last snapshot's records (the image at its offset), then the records committed after it. */
  async readAll(): Promise<StoredRecord[]> {
    return this.committedRecords()
  }

  /** The metadata offset the next committed record takes: how many records were ever committed. */
  metadataEndOffset(): number {
    return this.image.offset + 1
  }

  /** Stops every voter and closes the stores (no resignation: no voter is left to take over). */
  async close(): Promise<void> {
    for (const v of this.voters) {
      if (!v.node) continue
      this.down(v)
      v.closing = v.store!.close().catch(() => undefined)
    }
    await Promise.all(this.voters.map((v) => v.closing))
  }

  /** Starts voter `id` from its store (a first start, or after a stop or a crash). */
  async startVoter(id: number): Promise<void> {
    const v = this.voter(id)
    if (v.node) return
    await v.closing
    const store = this.o.storeOf(id)
    v.store = store
    // Its entries above its snapshot are committed again from the start: they count again.
    v.bytesSinceSnapshot = 0
    const node = await RaftNode.start({
      ...this.o.raft,
      id,
      voters: this.o.voterIds,
      store,
      scheduler: this.o.scheduler,
      rng: seededRng(this.o.rng.int(2 ** 31)),
      send: (msg) => this.o.transport.send(msg),
      onCommitted: (entries) => {
        this.applyCommitted(entries)
        this.countTowardsSnapshot(v, entries)
      },
      onSnapshotLoaded: (snapshot) => {
        this.applySnapshot(snapshot)
        v.bytesSinceSnapshot = 0
      },
      onStateChanged: (prev, next) => {
        // Watching the quorum (events) must never break a voter's transition.
        try {
          this.stateListener(id, prev, next)
        } catch {
          /* the watcher's own failure: told nowhere, the voter goes on */
        }
      },
    })
    v.node = node
    v.fetches.clear()
    this.o.transport.attach(id, (msg) => {
      if (msg.type === 'Fetch' && node.state.role === 'leader') {
        const epoch = node.state.epoch
        const atMs = this.o.scheduler.nowMs()
        const last = v.fetches.get(msg.from)
        const prev = last?.epoch === epoch ? last : undefined
        // As Kafka's leader keeps it: a fetch from the leader's log end is caught up now; one from
        // at least the log end the leader had at the previous fetch was caught up at that fetch.
        const caughtUpMs = msg.fetchOffset >= node.logEndOffset ? atMs : prev && msg.fetchOffset >= prev.leaderEndOffset ? prev.atMs : (prev?.caughtUpMs ?? null)
        v.fetches.set(msg.from, { epoch, offset: msg.fetchOffset, atMs, leaderEndOffset: node.logEndOffset, caughtUpMs })
      }
      node.receive(msg)
    })
  }

  /**
   * A clean stop: a leader resigns first (EndQuorumEpoch, so that the others elect at once rather
   * than after a fetch timeout) and the voter stops one scheduler turn later. The message leaves
   * only once the writes queued before it are durable: when they are not by then, it is lost with
   * the voter and the others elect after their fetch timeout, as after a crash.
   */
  async stopVoter(id: number): Promise<void> {
    const v = this.voter(id)
    const node = v.node
    if (!node) return v.closing
    if (node.state.role === 'leader') {
      node.resign()
      await new Promise<void>((resolve) => this.o.scheduler.setTimer(resolve, 0))
    }
    this.down(v)
    v.closing = v.store!.close().catch(() => undefined)
    return v.closing
  }

  /** A crash: the voter stops at once, and a memory store loses the writes not yet durable. */
  crashVoter(id: number): void {
    const v = this.voter(id)
    if (!v.node) return
    this.down(v)
    const store = v.store as RaftLogStore & { crash?: () => void }
    if (store.crash) store.crash()
    else v.closing = store.close().catch(() => undefined)
  }

  /** Voter `id`'s own Raft state (role, epoch), or null while it is down; NOT_FOUND for no such voter. */
  voterState(id: number): Readonly<QuorumState> | null {
    const node = this.live(this.voter(id))
    return node ? node.state : null
  }

  /** The voter that leads now (the highest epoch's running leader); null during an election or without a majority. */
  leaderId(): number | null {
    return this.leader()?.id ?? null
  }

  /** The quorum as its leader sees it (DescribeQuorum's answer). */
  describe(): QuorumView {
    const leader = this.leader()
    const epoch = Math.max(0, ...this.voters.map((v) => v.node?.state.epoch ?? 0))
    const lv = leader ? this.voter(leader.id) : null
    return {
      leaderId: leader?.id ?? null,
      epoch: leader?.state.epoch ?? epoch,
      highWatermark: leader?.highWatermark ?? -1,
      voters: this.voters.map((v) => {
        const fetch = lv?.fetches.get(v.id)
        const current = fetch && fetch.epoch === leader!.state.epoch ? fetch : null
        return {
          id: v.id,
          running: this.live(v) !== null,
          logEndOffset: v === lv ? leader!.logEndOffset : (current?.offset ?? -1),
          lastFetchMs: v === lv ? this.o.scheduler.nowMs() : (current?.atMs ?? null),
          lastCaughtUpMs: v === lv ? this.o.scheduler.nowMs() : (current?.caughtUpMs ?? null),
        }
      }),
    }
  }

  /**
   * Each running voter that applied everything committed (its high watermark at or past the
   * last data entry applied here) stores the image as its snapshot. Returns the ids of the voters
   * that took one.
   */
  snapshot(): number[] {
    return this.voters.filter((v) => this.snapshotVoter(v)).map((v) => v.id)
  }

  /** Voter `v` stores the image as its snapshot, if it applied everything committed. */
  private snapshotVoter(v: Voter): boolean {
    const node = this.live(v)
    // Entries between the last data entry applied and this voter's high watermark are control
    // entries (every committed data entry is applied here), so the image is the one at its high watermark.
    if (!node || node.highWatermark < this.nextRaftOffset) return false
    const snap = this.snapshotData()
    if (!node.snapshot(node.highWatermark, snap.data)) return false
    v.bytesSinceSnapshot = 0
    // The history before it is dropped here too: memory holds the image and what follows it.
    this.snapshotRecords = snap.stored
    this.records = []
    return true
  }

  /** The image, the cluster id and the metadata offset, encoded once for every voter that snapshots them. */
  private snapshotData(): { data: Uint8Array; stored: StoredRecord[] } {
    if (this.encodedSnapshot?.at !== this.nextRaftOffset) {
      const value: SnapshotValue = { c: this.cluster, o: this.image.offset, t: this.lastTimestampMs, r: imageRecords(this.image) }
      this.encodedSnapshot = { at: this.nextRaftOffset, data: encode(value), stored: snapshotStored(value) }
    }
    return this.encodedSnapshot
  }

  private committedRecords(): StoredRecord[] {
    return [...this.snapshotRecords, ...this.records]
  }

  /**
   * Voter `v` committed `entries`: once those since its last snapshot reach the configured bytes,
   * it snapshots at the next scheduler turn. One not caught up with what is applied here then
   * (another voter told further entries first) tries again at its next commit.
   */
  private countTowardsSnapshot(v: Voter, entries: readonly RaftLogEntry[]): void {
    const maxBytes = this.o.maxRecordBytesBetweenSnapshots?.()
    if (maxBytes === undefined) return
    for (const e of entries) v.bytesSinceSnapshot += e.value.length
    if (v.bytesSinceSnapshot < maxBytes || v.snapshotDue) return
    v.snapshotDue = true
    this.o.scheduler.setTimer(() => {
      v.snapshotDue = false
      this.snapshotVoter(v)
    }, 0)
  }

  // ---- committing ----

  /** Proposes one entry on the leader until it is committed; returns its first metadata offset. */
  private async commit(value: Uint8Array): Promise<number> {
    const deadlineMs = this.o.scheduler.nowMs() + this.appendTimeoutMs
    for (;;) {
      const leader = this.leader()
      const proposed = leader?.propose([value])
      if (leader && proposed && 'offset' in proposed) {
        const p: Proposal = { offset: proposed.offset, epoch: leader.state.epoch, result: undefined }
        this.proposals.add(p)
        try {
          while (p.result === undefined) {
            this.findLost()
            if (p.result === undefined) await this.waitUntil(deadlineMs, 'commit a metadata change')
          }
        } finally {
          this.proposals.delete(p)
        }
        if (p.result !== 'lost') return p.result
        // Lost with its leader: never committed, so proposing it again cannot commit it twice.
        continue
      }
      await this.waitUntil(deadlineMs, 'commit a metadata change')
    }
  }

  /** Committed data entries from any voter, in offset order; each applied once, whichever voter tells it first. */
  private applyCommitted(entries: readonly RaftLogEntry[]): void {
    for (const e of entries) {
      if (e.offset < this.nextRaftOffset) continue
      const value = decode<EntryValue>(e.value)
      const first = this.metadataEndOffset()
      const stored = value.r.map((record, i) => ({ offset: first + i, timestampMs: value.t, record }))
      for (const s of stored) this.image.apply(s.record, s.offset)
      this.records.push(...stored)
      this.lastTimestampMs = value.t
      if (value.c !== undefined) this.cluster ??= value.c
      // Before the listener: what it asks of position() includes this entry.
      this.nextRaftOffset = e.offset + 1
      if (this.opened && stored.length > 0) this.listener(stored)
      for (const p of this.proposals) {
        if (p.offset === e.offset) p.result = p.epoch === e.epoch ? first : 'lost'
        // Committed entries are told in order: one below this that was not told is a LeaderChange.
        else if (p.offset < e.offset && p.result === undefined) p.result = 'lost'
      }
    }
    this.wake()
  }

  /**
   * A voter starts from its snapshot or fetched one: before open() returned, it replaces what is
   * applied here if it reaches further (the voters start one by one, the furthest snapshot wins).
   *
   * After open() it never holds a record not applied here: every voter is in this process, and
   * a voter fetches a snapshot only up to the leader's, which this process took after applying
   * every data entry below it (snapshotVoter), and a restarted voter loads one taken here. It may
   * reach further in Raft offsets (control entries past the last data entry): only that is taken.
   * A snapshot holding records not applied here would mean records the controller never saw, to
   * be told only as an image, not as records: that is a bug, so it throws rather than lose them.
   */
  private applySnapshot(snapshot: RaftSnapshotRecord): void {
    if (snapshot.offset <= this.nextRaftOffset) return
    const value = decodeSnapshot(snapshot.data)
    this.cluster ??= value.c
    if (this.opened) {
      if (value.o > this.image.offset) {
        throw new Error(`metadata snapshot at metadata offset ${value.o} loaded after open, past the ${this.image.offset} applied here: its records would never reach the controller`)
      }
      this.nextRaftOffset = snapshot.offset
      return
    }
    this.image = MetadataImage.fromSnapshot(value.r, value.o, SLUICE_DEFAULTS)
    this.snapshotRecords = snapshotStored(value)
    this.records = []
    this.lastTimestampMs = value.t
    this.nextRaftOffset = snapshot.offset
  }

  /**
   * A proposal that was not told committed is lost once its offset is below a leader's high
   * watermark (that leader told every data entry below it as it moved it, onCommitted running
   * inside that move, so the entry there is a LeaderChange), or below what is applied here (it
   * was proposed on a deposed leader that did not know it yet, at an offset already committed), or
   * once a leader of a later epoch has committed its epoch's first entry.
   */
  private findLost(): void {
    const leader = this.leader()
    const hw = Math.max(leader?.highWatermark ?? 0, this.nextRaftOffset)
    // Once a leader has committed its own epoch's first entry, every entry of an older epoch that
    // will ever commit is below it (a leader never appends an older epoch's entry), and was told:
    // an older proposal not told is lost whatever its offset, even at or past that leader's log
    // end (proposed on a leader that crashed before replicating it; sim seeds 386 and 499).
    const settledEpoch = leader && this.leaderCommittedItsEpoch() ? leader.state.epoch : -1
    for (const p of this.proposals) if (p.result === undefined && (p.offset < hw || p.epoch < settledEpoch)) p.result = 'lost'
  }

  // ---- voters ----

  private voter(id: number): Voter {
    const v = this.voters.find((x) => x.id === id)
    if (!v) throw new SluiceError('NOT_FOUND', `no controller ${id} (the voters are ${this.o.voterIds.join(', ')})`)
    return v
  }

  /** The voter's node, unless it is down or stopped itself (a store write failed). */
  private live(v: Voter): RaftNode | null {
    return v.node && v.node.failure === undefined ? v.node : null
  }

  private down(v: Voter): void {
    v.node!.stop()
    v.node = null
    this.o.transport.attach(v.id, null)
  }

  /** The running voter that leads the highest epoch (an older leader cut off may still think it leads). */
  private leader(): RaftNode | null {
    let best: RaftNode | null = null
    for (const v of this.voters) {
      const n = this.live(v)
      if (n && n.state.role === 'leader' && (!best || n.state.epoch > best.state.epoch)) best = n
    }
    return best
  }

  private leaderCommittedItsEpoch(): boolean {
    const leader = this.leader()
    // epochAt, not entryAt: the leader may have snapshotted at its high watermark, its last committed entry gone from its log.
    return !!leader && leader.highWatermark > 0 && leader.epochAt(leader.highWatermark - 1) === leader.state.epoch
  }

  // ---- waiting ----

  /** Waits for the next commit or `pollMs`, whichever first; throws QUORUM_NO_MAJORITY past the deadline. */
  private async waitUntil(deadlineMs: number, what: string): Promise<void> {
    const leftMs = deadlineMs - this.o.scheduler.nowMs()
    if (leftMs <= 0) throw this.noMajority(what)
    await new Promise<void>((resolve) => {
      const wakeup = (): void => {
        cancel()
        resolve()
      }
      const cancel = this.o.scheduler.setTimer(() => {
        this.wakeups = this.wakeups.filter((w) => w !== wakeup)
        resolve()
      }, Math.min(this.pollMs, leftMs))
      this.wakeups.push(wakeup)
    })
  }

  private wake(): void {
    for (const wakeup of this.wakeups.splice(0)) wakeup()
  }

  private noMajority(what: string): SluiceError {
    const running = this.voters.filter((v) => this.live(v)).map((v) => v.id)
    const needed = Math.floor(this.voters.length / 2) + 1
    return new SluiceError(
      'QUORUM_NO_MAJORITY',
      `could not ${what} within ${this.appendTimeoutMs} ms: the controller quorum has no majority ` +
        `(a leader needs ${needed} of the ${this.voters.length} voters; running: ${running.length > 0 ? running.join(', ') : 'none'}), ` +
        'so metadata is frozen until enough controllers are back',
      { retriable: true },
    )
  }
}
