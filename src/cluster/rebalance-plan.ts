/**
 * The rebalance planner (`sluice cluster rebalance`, `broker remove --move`): new replica lists
 * that spread replicas, then preferred leaders (the first replica), evenly over the given brokers,
 * with few moves. Pure and deterministic: the same partitions and brokers give the same plan.
 *
 * 1. Replicas on a broker to drain (one being removed, one gone) move to the given broker with
 *    the fewest replicas that the partition does not have yet, in the same position. Replicas on
 *    a broker neither given nor drained (one that is down for now) stay, and count for nothing.
 * 2. Unless draining only: while the most loaded broker holds two replicas more than the least
 *    loaded, one replica moves from the first to the second. Each such move lowers the imbalance
 *    by one, so no plan balances with fewer replica moves. The partition taken is one already
 *    moving if possible (fewer partitions to reassign), else one of the topic the donor holds most
 *    of compared with the receiver (topics stay spread too).
 * 3. Unless draining only: preferred leaders the same way, by reordering a partition's replicas
 *    (no data moves): while a broker is the first replica of two partitions more than another,
 *    a partition it heads that holds the other broker gets that one first.
 * Partitions are taken in (topic, partition) order and ties between brokers go to the lower id.
 */

export interface PlanPartition {
  topic: string
  partition: number
  /** The replicas, preferred leader first (for a move in progress: its target). */
  replicas: readonly number[]
}

export interface PlannedMove {
  topic: string
  partition: number
  from: number[]
  to: number[]
}

export interface PlanOptions {
  /** Brokers whose replicas all move off (to the given brokers). */
  drain?: readonly number[]
  /** Only drain; no balancing. */
  drainOnly?: boolean
}

/** Steps 2 and 3 are bounded: each move lowers an imbalance, but a bound keeps any bug finite. */
const STEPS_MAX_PER_REPLICA = 4

export function planRebalance(partitions: readonly PlanPartition[], brokers: readonly number[], opts: PlanOptions = {}): PlannedMove[] {
  if (brokers.length === 0) return []
  const ids = [...new Set(brokers)].sort((a, b) => a - b)
  const sorted = [...partitions].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  const target = sorted.map((p) => [...p.replicas])
  const touched = new Set<number>()
  const load = new Map(ids.map((id) => [id, 0]))
  for (const replicas of target) for (const id of replicas) if (load.has(id)) load.set(id, load.get(id)! + 1)

  // 1. Off the brokers to drain.
  const drain = new Set((opts.drain ?? []).filter((id) => !load.has(id)))
  target.forEach((replicas, i) => {
    replicas.forEach((id, slot) => {
      if (!drain.has(id)) return
      const to = leastLoaded(ids, load, (b) => !replicas.includes(b))
      if (to === undefined) return // fewer brokers than replicas: the partition keeps it
      replicas[slot] = to
      load.set(to, load.get(to)! + 1)
      touched.add(i)
    })
  })

  if (!opts.drainOnly) {
    balance(ids, load, target, sorted, touched, (replicas, donor) => replicas.includes(donor), (replicas, donor, receiver) => {
      if (replicas.includes(receiver)) return false
      replicas[replicas.indexOf(donor)] = receiver
      return true
    })
    const leads = new Map(ids.map((id) => [id, 0]))
    for (const replicas of target) if (leads.has(replicas[0]!)) leads.set(replicas[0]!, leads.get(replicas[0]!)! + 1)
    balance(ids, leads, target, sorted, touched, (replicas, donor) => replicas[0] === donor, (replicas, _donor, receiver) => {
      const at = replicas.indexOf(receiver)
      if (at <= 0) return false
      ;[replicas[0], replicas[at]] = [replicas[at]!, replicas[0]!]
      return true
    })
  }

  const moves: PlannedMove[] = []
  sorted.forEach((p, i) => {
    const to = target[i]!
    if (to.length !== p.replicas.length || to.some((id, slot) => p.replicas[slot] !== id)) {
      moves.push({ topic: p.topic, partition: p.partition, from: [...p.replicas], to })
    }
  })
  return moves
}

function leastLoaded(ids: readonly number[], load: ReadonlyMap<number, number>, allowed: (id: number) => boolean): number | undefined {
  let best: number | undefined
  for (const id of ids) if (allowed(id) && (best === undefined || load.get(id)! < load.get(best)!)) best = id
  return best
}

/**
 * Moves one unit of `count` at a time from the most to the least counted broker until they are
 * within one. `holds` says whether a partition counts for the donor; `shift` changes its replicas
 * so that it counts for the receiver instead (false when it cannot).
 */
function balance(
  ids: readonly number[],
  count: Map<number, number>,
  target: number[][],
  partitions: readonly PlanPartition[],
  touched: Set<number>,
  holds: (replicas: readonly number[], donor: number) => boolean,
  shift: (replicas: number[], donor: number, receiver: number) => boolean,
): void {
  const stepsMax = STEPS_MAX_PER_REPLICA * target.reduce((n, r) => n + r.length, 0)
  for (let step = 0; step < stepsMax; step++) {
    const byCount = [...ids].sort((a, b) => count.get(a)! - count.get(b)! || a - b)
    let moved = false
    // The most counted donor first, to the least counted receiver that some partition lets it reach.
    for (const donor of [...byCount].reverse()) {
      for (const receiver of byCount) {
        if (count.get(donor)! - count.get(receiver)! <= 1) break
        const i = pick(target, partitions, touched, (replicas) => holds(replicas, donor) && canShift(replicas, donor, receiver, shift), donor, receiver)
        if (i === undefined) continue
        shift(target[i]!, donor, receiver)
        touched.add(i)
        count.set(donor, count.get(donor)! - 1)
        count.set(receiver, count.get(receiver)! + 1)
        moved = true
        break
      }
      if (moved) break
    }
    if (!moved) return
  }
}

function canShift(replicas: readonly number[], donor: number, receiver: number, shift: (r: number[], d: number, to: number) => boolean): boolean {
  return shift([...replicas], donor, receiver)
}

/** The partition to change: one already moving if any, else one of the topic the donor holds most of against the receiver. */
function pick(
  target: readonly number[][],
  partitions: readonly PlanPartition[],
  touched: ReadonlySet<number>,
  eligible: (replicas: readonly number[]) => boolean,
  donor: number,
  receiver: number,
): number | undefined {
  const spread = new Map<string, number>()
  target.forEach((replicas, i) => {
    const topic = partitions[i]!.topic
    const d = (replicas.includes(donor) ? 1 : 0) - (replicas.includes(receiver) ? 1 : 0)
    spread.set(topic, (spread.get(topic) ?? 0) + d)
  })
  let best: number | undefined
  let bestKey: [number, number] | undefined
  target.forEach((replicas, i) => {
    if (!eligible(replicas)) return
    const key: [number, number] = [touched.has(i) ? 1 : 0, spread.get(partitions[i]!.topic)!]
    if (!bestKey || key[0] > bestKey[0] || (key[0] === bestKey[0] && key[1] > bestKey[1])) {
      best = i
      bestKey = key
    }
  })
  return best
}
