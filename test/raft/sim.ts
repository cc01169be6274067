/**
 * One seed of the Raft simulation (sim.test.ts): a world of harness.ts (3 or 5 voters, maybe an
 * observer, store writes landing after up to 0, 2, 5, 20 or 50 ms) under random steps: proposals, snapshots,
 * crashes and restarts, pauses, cut links, lossy links, a leader resigning; between steps virtual
 * time runs 0-100 ms (sometimes up to 1 s), every timer followed by the harness's checks. Then
 * everything heals, and a leader must be elected and commit a proposal within a bound, and every
 * replica must catch up.
 */
import { RaftWorld } from './harness.js'

export interface SeedResult {
  seed: number
  errors: string[]
  committed: number
  epochs: number
  virtualMs: number
  /** Virtual ms from healing to the first proposal committed after it. */
  healToCommitMs: number
  trace: readonly string[]
  stats: RaftWorld['stats']
}

/** Virtual time the quorum has after healing to elect a leader and commit (seeds 1-3000 needed at most 1,450 ms, 255 on average, with election timeouts of 300-600 ms). */
export const LIVENESS_BOUND_MS = 5_000

export async function runSeed(seed: number, steps = 80): Promise<SeedResult> {
  const w = new RaftWorld({
    seed,
    voters: seed % 3 === 0 ? 5 : 3,
    observers: seed % 4 === 0 ? 1 : 0,
    storeDelayMaxMs: [0, 2, 5, 20, 50][seed % 5],
    delayMs: [1, 1 + (seed % 20)],
    // Small fetches, so that a follower catches up over several answers.
    // One seed in four long-polls its fetches (a leader holds an empty Fetch up to 150 ms).
    node: { fetchMaxEntries: 1 + (seed % 7), ...(seed % 4 === 1 ? { fetchMaxWaitMs: 150 } : {}) },
  })
  const rng = w.rng
  const ids = w.replicas.map((r) => r.id)
  const pick = (): number => ids[rng.int(ids.length)]!
  await w.startAll()
  for (let step = 0; step < steps && w.errors.length === 0; step++) {
    const roll = rng.int(100)
    if (roll < 30) w.propose()
    else if (roll < 38) for (let i = rng.int(5); i >= 0; i--) w.propose()
    else if (roll < 44) w.snapshot(pick())
    else if (roll < 54) w.crash(pick())
    else if (roll < 66) {
      const down = w.replicas.filter((r) => !r.up)
      if (down.length > 0) await w.start(down[rng.int(down.length)]!.id)
    } else if (roll < 71) w.pause(pick())
    else if (roll < 78) w.resume(pick())
    else if (roll < 84) w.cutLink(pick(), pick())
    else if (roll < 88) w.cut.clear()
    else if (roll < 93) w.dropRate = rng.int(3) * 0.1
    else if (roll < 95) w.leader()?.node?.resign()
    await w.runFor(rng.int(10) === 0 ? 300 + rng.int(700) : rng.int(100))
  }
  // Heal: everyone up and running, every link whole. A majority is then up: liveness is owed.
  w.healAll()
  for (const r of w.replicas) {
    w.resume(r.id)
    if (!r.up) await w.start(r.id)
  }
  const healedAt = w.sched.nowMs()
  let value: string | null = null
  let proposedTo = ''
  const leaderKey = (): string => {
    const l = w.leader()
    return l ? `${l.id}@${l.node!.state.epoch}` : ''
  }
  while (w.errors.length === 0 && w.sched.nowMs() - healedAt < LIVENESS_BOUND_MS) {
    // A proposal may be lost with a leader that steps down: it is proposed again to the next one.
    if (value === null || leaderKey() !== proposedTo) {
      value = w.propose()
      proposedTo = leaderKey()
    }
    await w.runFor(50)
    if (value !== null && [...w.committed.values()].includes(value)) break
  }
  const healToCommitMs = w.sched.nowMs() - healedAt
  if (w.errors.length === 0 && (value === null || ![...w.committed.values()].includes(value))) {
    w.fail(`no leader committed a proposal within ${LIVENESS_BOUND_MS} ms of healing (leader: ${w.leader()?.id ?? 'none'})`)
  }
  // Every replica catches up with the leader's committed log.
  if (w.errors.length === 0) {
    await w.runFor(2000)
    w.check()
    const leader = w.leader()
    const target = leader?.applied.at(-1)?.[0]
    for (const r of w.replicas) {
      if (w.errors.length > 0 || target === undefined) break
      const last = r.applied.at(-1)?.[0]
      if (last !== target) w.fail(`replica ${r.id} applied up to ${last}, the leader ${leader!.id} up to ${target}`)
    }
  }
  return { seed, errors: w.errors, committed: w.committed.size, epochs: w.leaders.size, virtualMs: w.sched.nowMs(), healToCommitMs, trace: w.trace, stats: w.stats }
}
