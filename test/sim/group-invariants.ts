/**
 * The consumer group's invariants, checked as the group workload's answers arrive:
 * - one member per partition per generation: the assignments the members of one generation got
 *   from SyncGroup never give a partition to two of them, and no two members have commits for
 *   one partition acknowledged in one generation;
 * - committed offsets never go backwards for a generation: the commits acknowledged for a
 *   generation and partition grow in acknowledgement order, and an OffsetFetch by a member of
 *   that generation reads at least the last one acknowledged before it asked (a coordinator
 *   failover loses no acknowledged commit). A newer generation may commit lower (a commit of
 *   the older one can land after it read its start), so a read after a newer generation's commit
 *   was sent is not held to the older generation's.
 *
 * A generation is named by its number and its leader's member id (unique): a group whose state
 * was not stored yet when its coordinator moved starts again at generation 1 (its member ids
 * still fence the old members), and that new generation 1 is another generation. Generations are
 * ordered by when a member first synced in them.
 *
 * Known deviation from Kafka, counted (`reused`), not failed: the coordinator answers SyncGroup
 * before the group's new generation is stored in __consumer_offsets (Kafka stores it first), so a
 * coordinator that moves in between reloads the previous generation and the next rebalance gives
 * the same generation number, with the same leader, to another assignment. Member ids still fence
 * the members that left, so no two members commit one partition in one generation: that is
 * checked strictly.
 */
export class GroupInvariants {
  /** generation -> order of first sight. */
  private readonly seen = new Map<string, number>()
  /** generation -> partition -> member id. */
  private readonly owners = new Map<string, Map<number, string>>()
  /** `${generation}:${partition}` -> the member whose commits were acknowledged. */
  private readonly committers = new Map<string, string>()
  /** `${generation}:${partition}` -> the last offset acknowledged. */
  private readonly acked = new Map<string, number>()
  /** partition -> the order of the newest generation that sent a commit for it. */
  private readonly newestCommitter = new Map<number, number>()
  assignments = 0
  /** Generation numbers given again to another assignment (the known deviation above). */
  reused = 0
  commitsAcked = 0
  offsetsChecked = 0

  constructor(private readonly fail: (message: string) => void) {}

  /** The name of a generation, as its members know it. */
  static generation(generationId: number, leader: string): string {
    return `${generationId} (leader ${leader})`
  }

  private order(generation: string): number {
    let n = this.seen.get(generation)
    if (n === undefined) this.seen.set(generation, (n = this.seen.size))
    return n
  }

  assigned(generation: string, memberId: string, partitions: number[]): void {
    this.assignments++
    this.order(generation)
    let owners = this.owners.get(generation)
    if (!owners) this.owners.set(generation, (owners = new Map()))
    if (partitions.some((p) => owners!.get(p) !== undefined && owners!.get(p) !== memberId)) {
      // The generation number came again after a coordinator moved (see above): a new generation.
      this.reused++
      this.owners.set(generation, (owners = new Map()))
      // Its commits start anew too: the reused number's earlier committers and offsets were another generation's.
      for (const key of [...this.committers.keys()]) if (key.startsWith(`${generation}:`)) this.committers.delete(key)
      for (const key of [...this.acked.keys()]) if (key.startsWith(`${generation}:`)) this.acked.delete(key)
    }
    for (const p of partitions) owners.set(p, memberId)
  }

  commitSent(generation: string, partition: number): void {
    this.newestCommitter.set(partition, Math.max(this.order(generation), this.newestCommitter.get(partition) ?? -1))
  }

  commitAcked(generation: string, memberId: string, partition: number, offset: number): void {
    this.commitsAcked++
    const key = `${generation}:${partition}`
    const committer = this.committers.get(key)
    if (committer !== undefined && committer !== memberId) return this.fail(`members ${committer} and ${memberId} both committed partition ${partition} in generation ${generation}`)
    this.committers.set(key, memberId)
    const before = this.acked.get(key)
    if (before !== undefined && offset < before) return this.fail(`the committed offset of partition ${partition} went back in generation ${generation}: ${before} -> ${offset}`)
    this.acked.set(key, offset)
  }

  private newerCommitted(generation: string, partition: number): boolean {
    return (this.newestCommitter.get(partition) ?? -1) > this.order(generation)
  }

  /** What an OffsetFetch by a member of `generation`, asked now, must read at least (null: no bound). */
  floor(generation: string, partition: number): number | null {
    if (this.newerCommitted(generation, partition)) return null
    return this.acked.get(`${generation}:${partition}`) ?? null
  }

  fetched(generation: string, partition: number, floor: number | null, committed: number): void {
    this.offsetsChecked++
    if (floor === null || this.newerCommitted(generation, partition)) return
    if (committed < floor) this.fail(`OffsetFetch read ${committed} for partition ${partition} in generation ${generation}, below the ${floor} acknowledged before it asked`)
  }
}
