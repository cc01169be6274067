/**
 * The seeded simulation of the Raft quorum (sim.ts, harness.ts): each seed runs 3 or 5 voters
 * (and on some seeds an observer) through random proposals, snapshots, crashes losing the store
 * writes not yet landed, restarts from the store, pauses, cut and lossy links and resignations,
 * checking Raft's safety after every timer; then heals everything and requires a leader to commit
 * within a bound and every replica to catch up.
 *
 *   npx vitest run test/raft/sim.test.ts                                   seeds 1-1000 (about 3.5 s)
 *   SLUICE_RAFT_SEEDS=1001-20000 npx vitest run test/raft/sim.test.ts      another range (about 4 s a thousand)
 *   SLUICE_RAFT_SEED=68 npx vitest run test/raft/sim.test.ts               one seed, printing its last events
 *
 * The seeds that found bugs stay below with what they found (found under the first action mix,
 * since made harsher: they now run other schedules, and stay as plain regressions; node.test.ts
 * has a directed scenario for seed 4's).
 */
import { describe, expect, it } from 'vitest'
import { runSeed } from './sim.js'

function seedRange(): number[] {
  const one = process.env.SLUICE_RAFT_SEED
  if (one) return [Number(one)]
  const [from, to] = (process.env.SLUICE_RAFT_SEEDS ?? '1-1000').split('-').map(Number)
  return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i)
}

describe('raft/sim', () => {
  it('regressions: the seeds that found bugs', async () => {
    // 9: prospective voters pointed each other back to a dead leader they only remembered.
    // 4: a prospective voter refused pre-votes (its leader lived) never followed that leader again.
    // 145: a voter left in a higher epoch by a failed candidacy could never rejoin a live leader.
    for (const seed of [4, 9, 145]) expect((await runSeed(seed)).errors, `seed ${seed}`).toEqual([])
  })

  it('replays: a seed runs the same twice', async () => {
    const a = await runSeed(77)
    const b = await runSeed(77)
    expect(b.trace).toEqual(a.trace)
    expect([b.committed, b.virtualMs]).toEqual([a.committed, a.virtualMs])
  })

  it('holds Raft safety under faults, and elects and commits once healed', async () => {
    const failures: string[] = []
    let committed = 0
    const reached = { diverging: 0, snapshotsSent: 0 }
    for (const seed of seedRange()) {
      const r = await runSeed(seed)
      committed += r.committed
      reached.diverging += r.stats.diverging
      reached.snapshotsSent += r.stats.snapshotsSent
      if (r.errors.length > 0) failures.push(`seed ${seed}: ${r.errors[0]} (replay: SLUICE_RAFT_SEED=${seed})`)
      if (process.env.SLUICE_RAFT_SEED) console.log(r.trace.join('\n'))
      if (failures.length >= 5) break
    }
    expect(failures).toEqual([])
    expect(committed).toBeGreaterThan(0)
    // The sweep reaches the rarer paths (seeds 1-1000: about 400 diverging answers, 560 snapshots sent).
    if (!process.env.SLUICE_RAFT_SEED) expect(Math.min(reached.diverging, reached.snapshotsSent)).toBeGreaterThan(0)
  })
})
