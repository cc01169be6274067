/**
 * The invariants the simulation checks, over the metadata history, the brokers' own view of their
 * roles, and the disks:
 * - metadata (every commit): the leader is in the ISR, the ISR is a non-empty subset of the
 *   replicas, leader and partition epochs only grow, one leader per partition per leader epoch;
 * - brokers (after every timer): one broker acts as leader per partition and leader epoch over the
 *   whole history, a replica's leader epoch only grows, per leader epoch the leader's high
 *   watermark (its replication state and its log's) never goes back and stays within its LEO;
 * - acks=all (at the ack, and after every step): an acknowledged batch is on at least
 *   min.insync.replicas disks when acknowledged, and afterwards on the disk of the elected leader
 *   and of every ISR member. While a partition is offline its ISR keeps its last member, so the
 *   check still applies to that replica: it is the one that must lead again;
 * - committed (after every step): every batch any leader ever exposed below its high watermark
 *   (what consumers could read, acks=1 batches included) stays, byte for byte at its offset, on
 *   the elected leader and every ISR member;
 * - unclean elections (seeds that allow them): what was acknowledged or committed before one may
 *   be lost, and the election says so (`unclean` on the record); everything after is checked;
 * - at the end (everything healed and caught up): every replica of a partition holds the same
 *   batches, byte for byte (epochs stamped in batches included), below the high watermark.
 * A violation calls `fail` with a message that says what broke and where.
 */
import type { MetadataRecord, PartitionInfo } from '../../src/cluster/metadata.js'
import type { Hosted } from '../../src/broker/replica-manager.js'
import type { SimNode, StoredPartition } from './sim-node.js'
import type { AckedBatch, Workload } from './workload.js'

/** Leader epoch stamped in a stored batch (partitionLeaderEpoch, bytes 12-15). */
const batchEpoch = (bytes: Buffer): number => bytes.readInt32BE(12)

export class Invariants {
  /** `${partition}@${leaderEpoch}` -> the leader the metadata named. */
  private readonly metadataLeaders = new Map<string, number>()
  /** Per partition and leader epoch: the broker that acted as leader, and the highest HWMs it showed. */
  private readonly acting = new Map<number, Map<number, ActingLeader>>()
  private readonly lastEpochs = new Map<number, { leaderEpoch: number; partitionEpoch: number }>()
  private readonly replicaEpochs = new WeakMap<Hosted, number>()
  /** Per partition: batches some leader exposed below its HWM (base offset -> bytes), and the offset they cover up to. */
  private readonly committed = new Map<number, { end: number; batches: Map<number, CommittedBatch> }>()
  /** Batches given up by unclean elections (acknowledged or committed before them). */
  forfeited = 0
  /**
   * Per partition, the leader epoch its last unclean election began: what a leader of an earlier
   * epoch acknowledges or exposes is given up too, even after the election (a leader cut off from
   * the controller answers from its stale image until it learns; sim seed 3363).
   */
  private readonly uncleanEpochs = new Map<number, number>()

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    private readonly minIsr: number,
    private readonly fail: (message: string) => void,
  ) {}

  private partitions(): PartitionInfo[] {
    return this.sim.image.topicsByName.get(this.topicName)?.partitions ?? []
  }

  /** After every metadata commit. */
  checkMetadata(records: MetadataRecord[], workload: Workload): void {
    for (const r of records) {
      if (r.type !== 'partitionChange' || !r.unclean) continue
      // Reported loss: what the old ISR held may be gone. Checked again from here on.
      this.forfeited += workload.acked[r.partition]!.length + (this.committed.get(r.partition)?.batches.size ?? 0)
      workload.acked[r.partition]!.length = 0
      this.committed.delete(r.partition)
      const epoch = this.partitions()[r.partition]?.leaderEpoch
      if (epoch !== undefined) this.uncleanEpochs.set(r.partition, epoch)
    }
    this.forfeitStale(workload)
    for (const p of this.partitions()) {
      const where = `partition ${p.partition} (leader ${p.leader}, epoch ${p.leaderEpoch}, ISR [${p.isr}])`
      if (p.leader >= 0 && !p.isr.includes(p.leader)) return this.fail(`the leader is not in the ISR: ${where}`)
      if (p.isr.length === 0) return this.fail(`the ISR is empty: ${where}`)
      if (p.isr.some((id) => !p.replicas.includes(id))) return this.fail(`the ISR has a broker that is not a replica: ${where}`)
      const last = this.lastEpochs.get(p.partition)
      if (last && (p.leaderEpoch < last.leaderEpoch || p.partitionEpoch < last.partitionEpoch)) {
        return this.fail(`epochs went back: ${where}, partition epoch ${p.partitionEpoch}, was ${last.leaderEpoch}/${last.partitionEpoch}`)
      }
      this.lastEpochs.set(p.partition, { leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch })
      if (p.leader >= 0) {
        const key = `${p.partition}@${p.leaderEpoch}`
        const before = this.metadataLeaders.get(key)
        if (before !== undefined && before !== p.leader) return this.fail(`two leaders in one epoch: ${where}, but broker ${before} led that epoch`)
        this.metadataLeaders.set(key, p.leader)
      }
    }
  }

  /** After every timer and every action: what the running brokers do. */
  checkBrokers(): void {
    const image = this.sim.image
    // Only the workload's topic: __consumer_offsets (the group workload's) has partitions of the same numbers.
    const topic = image.topicsByName.get(this.topicName)
    if (!topic) return
    for (const id of this.sim.ids) {
      const b = this.sim.broker(id)
      if (!b?.running) continue
      for (const h of b.replicas.all()) {
        if (h.topicId !== topic.topicId) continue
        const p = topic.partitions[h.partition]!
        const before = this.replicaEpochs.get(h)
        if (before !== undefined && h.leaderEpoch < before) {
          return this.fail(`broker ${id}'s replica of partition ${h.partition} went back from leader epoch ${before} to ${h.leaderEpoch}`)
        }
        this.replicaEpochs.set(h, h.leaderEpoch)
        if (h.role !== 'leader' || !h.leader || !h.log) continue
        let epochs = this.acting.get(h.partition)
        if (!epochs) this.acting.set(h.partition, (epochs = new Map()))
        let seen = epochs.get(h.leaderEpoch)
        if (!seen) epochs.set(h.leaderEpoch, (seen = { brokerId: id, hwm: -1, logHwm: -1 }))
        if (seen.brokerId !== id) return this.fail(`brokers ${seen.brokerId} and ${id} both acted as leader of partition ${h.partition} in epoch ${h.leaderEpoch}`)
        const imageEpoch = p.leaderEpoch
        if (h.leaderEpoch > imageEpoch) return this.fail(`broker ${id} leads partition ${h.partition} in epoch ${h.leaderEpoch}, beyond the metadata's ${imageEpoch}`)
        const hwm = h.leader.highWatermark
        const leo = h.log.logEndOffset
        if (hwm > leo) return this.fail(`broker ${id}'s high watermark ${hwm} of partition ${h.partition} is above its LEO ${leo}`)
        if (hwm < seen.hwm) return this.fail(`the high watermark of partition ${h.partition} went back in epoch ${h.leaderEpoch} on broker ${id}: ${seen.hwm} -> ${hwm}`)
        seen.hwm = hwm
        if (h.log.highWatermark < seen.logHwm) {
          return this.fail(`broker ${id}'s log high watermark of partition ${h.partition} went back in epoch ${h.leaderEpoch}: ${seen.logHwm} -> ${h.log.highWatermark}`)
        }
        seen.logHwm = h.log.highWatermark
        // A hung leader that has not seen its successor yet exposes nothing new (followers left it).
        if (imageEpoch === h.leaderEpoch) this.recordCommitted(id, h.topicId, h.partition, hwm, h.leaderEpoch)
      }
    }
  }

  /** The leader exposes everything below `hwm`: remember those batches (they must match what earlier leaders exposed). */
  private recordCommitted(id: number, topicId: string, partition: number, hwm: number, epoch: number): void {
    let c = this.committed.get(partition)
    if (!c) this.committed.set(partition, (c = { end: 0, batches: new Map() }))
    if (hwm <= c.end) return
    const sp = this.sim.stored(id, topicId, partition)
    for (const [base, b] of sp?.batches ?? []) {
      if (base >= hwm) break
      if (b.lastOffset < c.end) continue
      const before = c.batches.get(base)
      if (before && !before.bytes.equals(b.bytes)) {
        return this.fail(`broker ${id}, leader of partition ${partition} in epoch ${epoch}, exposes at offset ${base} a batch other than the one committed there before (by broker ${before.leaderId} in epoch ${before.epoch})`)
      }
      if (!before) c.batches.set(base, { partition, baseOffset: base, lastOffset: b.lastOffset, bytes: b.bytes, leaderId: id, epoch, verified: new Map() })
    }
    c.end = hwm
  }

  /**
   * A consumer read a batch from the leader of `epoch` while it still led: exposed data, so it
   * must be what was committed at its offset, and it must stay (checkAcked).
   */
  consumed(partition: number, baseOffset: number, lastOffset: number, bytes: Buffer, leaderId: number, epoch: number): void {
    let c = this.committed.get(partition)
    if (!c) this.committed.set(partition, (c = { end: 0, batches: new Map() }))
    const before = c.batches.get(baseOffset)
    if (before && !before.bytes.equals(bytes)) {
      return this.fail(`a consumer read from broker ${leaderId} (epoch ${epoch}) at offset ${baseOffset} a batch other than the one committed there (by broker ${before.leaderId} in epoch ${before.epoch})`)
    }
    if (!before) c.batches.set(baseOffset, { partition, baseOffset, lastOffset, bytes: Buffer.from(bytes), leaderId, epoch, verified: new Map() })
  }

  /** When an acks=all batch is acknowledged: it is on at least min.insync.replicas disks. */
  checkAck(batch: AckedBatch, topicId: string, replicationFactor: number): void {
    const needed = Math.min(this.minIsr, replicationFactor)
    // A replica that deleted the batch on purpose (its log starts past it) held it.
    // So did one a reassignment (or its cancel) took off the partition since the acknowledging
    // leader's epoch, its copy deleted: the answer may cross that commit on its way (sim seed 7436).
    const p = this.partitions()[batch.partition]
    const movedOff = (id: number): boolean =>
      !!p && p.leaderEpoch > batch.leaderEpoch && !p.replicas.includes(id) && this.sim.stored(id, topicId, batch.partition) === undefined
    const deleted = (id: number): boolean => movedOff(id) || (this.sim.stored(id, topicId, batch.partition)?.state.logStartOffset ?? 0) > batch.lastOffset
    const holders = this.sim.ids.filter((id) => deleted(id) || this.holds(id, this.sim.stored(id, topicId, batch.partition), batch))
    if (holders.length < needed) {
      this.fail(`acks=all batch ${describe(batch)} was acknowledged while only brokers [${holders}] hold it (min.insync.replicas ${needed})`)
    }
  }

  /**
   * After every step: the elected leader and every ISR member hold every acknowledged batch, and
   * every batch a leader exposed below its high watermark.
   */
  checkAcked(workload: Workload): void {
    this.forfeitStale(workload)
    for (const p of this.partitions()) {
      const holders = p.leader >= 0 && !p.isr.includes(p.leader) ? [...p.isr, p.leader] : p.isr
      for (const id of holders) {
        const where = (): string => {
          const role = id === p.leader ? 'the leader' : p.leader < 0 ? 'the last ISR member of the offline partition' : 'an ISR member'
          return `on broker ${id}, ${role} (epoch ${p.leaderEpoch}, ISR [${p.isr}])`
        }
        // Records below the log start were deleted on purpose (deletions.ts checks that they were).
        const sp = this.sim.stored(id, p.topicId, p.partition)
        const start = sp?.state.logStartOffset ?? 0
        for (const batch of workload.acked[p.partition]!) {
          if (batch.lastOffset < start || this.holds(id, sp, batch)) continue
          return this.fail(`acknowledged batch ${describe(batch)} is lost ${where()}: ${this.diskSummary(id, p.topicId, p.partition, batch.baseOffset)}`)
        }
        for (const batch of this.committed.get(p.partition)?.batches.values() ?? []) {
          if (batch.lastOffset < start || this.holds(id, sp, batch)) continue
          return this.fail(
            `batch p${p.partition} ${batch.baseOffset}..${batch.lastOffset}, exposed below the high watermark by broker ${batch.leaderId} in epoch ${batch.epoch}, is lost ${where()}: ${this.diskSummary(id, p.topicId, p.partition, batch.baseOffset)}`,
          )
        }
      }
    }
  }

  /** Gives up what leaders of epochs before a partition's unclean election acknowledged or exposed since. */
  private forfeitStale(workload: Workload): void {
    for (const [partition, epoch] of this.uncleanEpochs) {
      const acked = workload.acked[partition]!
      const kept = acked.filter((b) => b.leaderEpoch >= epoch)
      this.forfeited += acked.length - kept.length
      acked.splice(0, acked.length, ...kept)
      const c = this.committed.get(partition)
      if (!c) continue
      for (const [base, b] of c.batches) {
        if (b.epoch < epoch) {
          c.batches.delete(base)
          this.forfeited++
        }
      }
    }
  }

  /** Whether broker `id`'s disk (`sp`: its log of the batch's partition) holds the batch, byte for byte. */
  private holds(id: number, sp: StoredPartition | undefined, batch: CheckedBatch): boolean {
    const stored = sp?.batches.get(batch.baseOffset)?.bytes
    if (!stored) return false
    if (batch.verified.get(id) === stored) return true
    if (!stored.equals(batch.bytes)) return false
    batch.verified.set(id, stored)
    return true
  }

  private diskSummary(id: number, topicId: string, partition: number, around: number): string {
    const sp = this.sim.stored(id, topicId, partition)
    if (!sp) return 'no log on its disk'
    const near = [...sp.batches.entries()]
      .filter(([base, b]) => b.lastOffset >= around - 3 && base <= around + 3)
      .map(([base, b]) => `${base}..${b.lastOffset}@e${batchEpoch(b.bytes)}`)
    return `its disk has LEO ${sp.state.logEndOffset}, HWM ${sp.state.highWatermark}, epochs ${JSON.stringify(sp.state.epochs)}, batches near: ${near.join(' ') || 'none'}`
  }

  /**
   * At the end, everything healed and caught up: every replica holds the leader's batches below
   * the high watermark, byte for byte, and each log's batch epochs never decrease.
   */
  checkReplicasIdentical(): void {
    for (const p of this.partitions()) {
      const leader = this.sim.broker(p.leader)
      const h = this.sim.hosted(p.leader, p.topicId, p.partition)
      if (!h?.log) return this.fail(`partition ${p.partition} has no running leader at the end`)
      const hwm = h.log.highWatermark
      const reference = this.sim.stored(p.leader, p.topicId, p.partition)
      const leaderStart = h.log.logStartOffset
      const all = [...(reference?.batches.entries() ?? [])]
      for (const id of p.isr) {
        const sp = this.sim.stored(id, p.topicId, p.partition)
        // From the replica's log start (a batch across it stays whole), below the HWM. A follower
        // may start later than its leader (a deletion its leader lost), never earlier.
        const start = sp?.state.logStartOffset ?? 0
        if (start < leaderStart) return this.fail(`broker ${id}'s log of partition ${p.partition} starts at ${start} at the end, before its leader's ${leaderStart}`)
        const expected = all.filter(([base, b]) => base < hwm && b.lastOffset >= start)
        const actual = [...(sp?.batches.entries() ?? [])].filter(([base, b]) => base < hwm && b.lastOffset >= start)
        let lastEpoch = -1
        for (const [base, b] of actual) {
          const epoch = batchEpoch(b.bytes)
          if (epoch < lastEpoch) return this.fail(`broker ${id}'s log of partition ${p.partition} goes back from epoch ${lastEpoch} to ${epoch} at offset ${base}`)
          lastEpoch = epoch
        }
        if (id === p.leader) continue
        const n = Math.max(expected.length, actual.length)
        for (let i = 0; i < n; i++) {
          const [eBase, e] = expected[i] ?? [-1, undefined]
          const [aBase, a] = actual[i] ?? [-1, undefined]
          if (eBase !== aBase || !e || !a || !e.bytes.equals(a.bytes)) {
            const show = (base: number, b: typeof e): string => (b ? `${base}..${b.lastOffset}@e${batchEpoch(b.bytes)}` : 'nothing')
            return this.fail(
              `replicas of partition ${p.partition} differ below the high watermark ${hwm}: leader ${p.leader} has ${show(eBase, e)}, broker ${id} has ${show(aBase, a)} (batch ${i})`,
            )
          }
        }
      }
    }
  }
}

/** What the disk checks need of a batch: where it is, its bytes, and which disks already matched. */
type CheckedBatch = Pick<AckedBatch, 'partition' | 'baseOffset' | 'lastOffset' | 'bytes' | 'verified'>

interface ActingLeader {
  brokerId: number
  hwm: number
  logHwm: number
}

interface CommittedBatch extends CheckedBatch {
  leaderId: number
  epoch: number
}

function describe(b: AckedBatch): string {
  return `p${b.partition} ${b.baseOffset}..${b.lastOffset} (acked at step ${b.step}, ${b.atMs} ms, by broker ${b.leaderId} in epoch ${b.leaderEpoch})`
}
