/**
 * A broker's own copy of the cluster metadata, as a KRaft broker keeps one: the broker follows the
 * metadata log (it fetches committed records from the quorum's leader and its MetadataLoader
 * applies them to its image), and answers clients from that image, whatever the controller has
 * committed since. A broker that cannot reach the controller (a cut link, a hung process) keeps
 * answering from its last image: clients see stale metadata from it, as from a Kafka broker.
 *
 * The node offers each commit to every running broker's follower (`offer`); the broker applies
 * what was offered when it can fetch (`catchUp`): at once when the controller is reachable, else
 * once it is again. A follower too far behind (more than `maxPendingRecords` waiting, or a gap)
 * loads a snapshot of the committed image instead, as a KRaft broker whose fetch offset is below
 * the log start fetches a snapshot (KIP-630). A starting broker process loads one too (`load`).
 *
 * Pure: no clock, no I/O. The image object stays the same for the follower's life (a snapshot is
 * loaded into it), so what holds it sees every change.
 */
import { imageRecords, MetadataImage, type MetadataRecord } from './metadata.js'

/** What a follower is behind: the committed image to load as a snapshot, and the log position it is at. */
export interface CommittedMetadata {
  readonly image: MetadataImage
  /** The metadata log's position after its last committed entry (a Raft offset on a quorum). */
  readonly position: number
}

interface Pending {
  records: readonly MetadataRecord[]
  /** The first record's metadata offset. */
  firstOffset: number
  /** The log position once these records are applied. */
  position: number
}

/** More records than this waiting (a broker hung through a storm of ISR changes): load a snapshot instead. */
export const MAX_PENDING_RECORDS = 10_000

export class MetadataFollower {
  readonly image: MetadataImage
  private pending: Pending[] = []
  private pendingRecords = 0
  /** A gap or too much waiting: the next catch-up loads a snapshot. */
  private snapshotDue = false
  private positionValue = 0

  constructor(
    private readonly committed: () => CommittedMetadata,
    private readonly maxPendingRecords = MAX_PENDING_RECORDS,
  ) {
    this.image = new MetadataImage()
    this.load()
  }

  /** The metadata offset of the last record applied (what a KRaft broker's heartbeat reports). */
  get offset(): number {
    return this.image.offset
  }

  /** The log position its image is at (a Raft offset on a quorum: what it would fetch next). */
  get position(): number {
    return this.positionValue
  }

  /** Whether committed records wait to be applied. */
  get lagging(): boolean {
    return this.snapshotDue || this.pending.length > 0
  }

  /** Loads the committed image as a snapshot: a broker process starting, or one too far behind. */
  load(): void {
    const { image, position } = this.committed()
    const target = this.image
    target.brokers.clear()
    target.topicsById.clear()
    target.topicsByName.clear()
    target.brokerConfigs.clear()
    target.nextProducerId = 0
    target.staticBrokerConfigs = image.staticBrokerConfigs
    for (const r of imageRecords(image)) target.apply(r, image.offset)
    target.offset = image.offset
    this.positionValue = position
    this.pending = []
    this.pendingRecords = 0
    this.snapshotDue = false
  }

  /** A commit: its records at metadata offsets from `firstOffset`, and the log position after them. */
  offer(records: readonly MetadataRecord[], firstOffset: number, position: number): void {
    if (this.snapshotDue) return
    const last = this.pending.at(-1)
    const expected = last ? last.firstOffset + last.records.length : this.image.offset + 1
    if (firstOffset + records.length <= expected) return // applied already (loaded with a snapshot)
    if (firstOffset !== expected || this.pendingRecords + records.length > this.maxPendingRecords) {
      this.snapshotDue = true
      this.pending = []
      this.pendingRecords = 0
      return
    }
    this.pending.push({ records, firstOffset, position })
    this.pendingRecords += records.length
  }

  /**
   * Applies what waits: the records applied, in order; 'all' when a snapshot was loaded instead
   * (anything may have changed); null when nothing waited.
   */
  catchUp(): readonly MetadataRecord[] | 'all' | null {
    if (this.snapshotDue) {
      this.load()
      return 'all'
    }
    if (this.pending.length === 0) return null
    const applied: MetadataRecord[] = []
    for (const p of this.pending) {
      let offset = p.firstOffset
      for (const r of p.records) {
        this.image.apply(r, offset++)
        applied.push(r)
      }
      this.positionValue = p.position
    }
    this.pending = []
    this.pendingRecords = 0
    return applied
  }
}
