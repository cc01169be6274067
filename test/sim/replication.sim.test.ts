/**
 * The seeded simulation of the replicated cluster (issue 4, "What must be shown"): 1,000 seeds of
 * random crashes, restarts, pauses, cut links, controlled shutdowns and failovers under a
 * producing workload, with the invariants of invariants.ts checked after every step.
 *
 *   SLUICE_SIM_SEED=<n> npx vitest run test/sim/replication.sim.test.ts    replays one seed, with its trace
 *   SLUICE_SIM_SEEDS=<from>-<to> ...                                       another range of seeds
 *   SLUICE_SIM_STEPS=<n> ...                                               longer (or shorter) runs than 250 steps
 *   SLUICE_SIM_EXTRAS=deleteRecords,reassign ...                           the extra kinds of action (actions.ts) the sweep runs
 *   SLUICE_SIM_QUORUM=all ...                                              every seed on the controller quorum (none: no seed)
 *   SLUICE_SIM_SNAPSHOT_BYTES=<n> ...                                      quorum voters snapshot every n bytes committed (never by default)
 *
 * One seed in ten (those divisible by 10) runs on the controller quorum of issue 16 (quorum.ts:
 * three Raft voters under the metadata log, their leaders crashed, stopped and paused during the
 * workload); the others on the in-memory metadata log. A quorum seed costs about 1.4 of the
 * others: every seed on it is for a local run, SLUICE_SIM_QUORUM=all.
 */
import { describe, expect, it } from 'vitest'
import { EXTRA_KINDS, type ExtraKind } from './actions.js'
import { runSeed, type SeedResult } from './run.js'

/**
 * Seeds of the sweep found failing and pinned open in regressions.test.ts (it.fails until fixed):
 * the sweep skips them and runs as many seeds past 1,000 instead, so it still runs 1,000. None today.
 */
const SWEEP_OPEN: number[] = []
const SEEDS = 1000 + SWEEP_OPEN.length
const CHUNK = 100
const REPLAY = process.env.SLUICE_SIM_SEED
const RANGE = process.env.SLUICE_SIM_SEEDS
const STEPS = process.env.SLUICE_SIM_STEPS === undefined ? undefined : Number(process.env.SLUICE_SIM_STEPS)
/** The sweep runs every extra kind of action: DeleteRecords and reassignments beside the faults. */
const EXTRAS = extrasFrom(process.env.SLUICE_SIM_EXTRAS ?? EXTRA_KINDS.join(','))
const QUORUM = process.env.SLUICE_SIM_QUORUM
if (QUORUM !== undefined && QUORUM !== 'all' && QUORUM !== 'none') throw new Error(`SLUICE_SIM_QUORUM: all or none, not ${QUORUM}`)
const SNAPSHOT_BYTES = process.env.SLUICE_SIM_SNAPSHOT_BYTES === undefined ? undefined : Number(process.env.SLUICE_SIM_SNAPSHOT_BYTES)
/**
 * Quorum seeds of the sweep found failing, pinned open in regressions.test.ts: the sweep runs
 * them on the memory log until they are fixed. None today: the open ones (263, 422, 598, found
 * with SLUICE_SIM_QUORUM=all) are not among the sweep's quorum seeds.
 */
const QUORUM_OPEN: number[] = []
/** Whether a seed runs on the controller quorum (see the header). */
const onQuorum = (seed: number): boolean => (QUORUM === undefined ? seed % 10 === 0 && !QUORUM_OPEN.includes(seed) : QUORUM === 'all')

function extrasFrom(list: string): ExtraKind[] {
  const kinds = list.split(',').filter(Boolean)
  for (const k of kinds) if (!(EXTRA_KINDS as readonly string[]).includes(k)) throw new Error(`SLUICE_SIM_EXTRAS: no kind ${k} (${EXTRA_KINDS.join(', ')})`)
  return kinds as ExtraKind[]
}

function replayHint(seed: number, extras: readonly ExtraKind[]): string {
  const steps = STEPS === undefined ? '' : `SLUICE_SIM_STEPS=${STEPS} `
  const quorum = QUORUM === undefined ? '' : `SLUICE_SIM_QUORUM=${QUORUM} `
  const snapshots = SNAPSHOT_BYTES === undefined ? '' : `SLUICE_SIM_SNAPSHOT_BYTES=${SNAPSHOT_BYTES} `
  return `replay: ${steps}${quorum}${snapshots}SLUICE_SIM_EXTRAS=${extras.join(',')} SLUICE_SIM_SEED=${seed} npx vitest run test/sim/replication.sim.test.ts`
}

/** A failure message: the seed, the step, what broke, how to replay, and the end of the trace. */
async function explain(result: SeedResult, extras: readonly ExtraKind[]): Promise<string> {
  const f = result.failure!
  // Runs replay exactly: run the seed again with its trace on, to show how it got there.
  const traced = await runSeed(result.seed, { trace: true, steps: STEPS, extras, quorum: onQuorum(result.seed), snapshotBytes: SNAPSHOT_BYTES })
  const firstLine = (m: string): string => m.split('\n')[0]!
  const same = traced.failure?.step === f.step && firstLine(traced.failure.message) === firstLine(f.message)
  return [
    `seed ${result.seed}, step ${f.step} (${f.timeMs} virtual ms): ${f.message}`,
    replayHint(result.seed, extras),
    `config ${result.config}`,
    same ? 'last events:' : `THE REPLAY DIFFERED (non-determinism): ${traced.failure ? `step ${traced.failure.step}: ${traced.failure.message}` : 'it passed'}`,
    ...traced.trace.slice(-60).map((l) => `  ${l}`),
  ].join('\n')
}

function seedRange(): [number, number] {
  if (!RANGE) return [1, SEEDS]
  const m = /^(\d+)-(\d+)$/.exec(RANGE)
  if (!m) throw new Error(`SLUICE_SIM_SEEDS must look like 1-1000, not ${RANGE}`)
  return [Number(m[1]), Number(m[2])]
}

describe('sim/replication', () => {
  if (REPLAY !== undefined) {
    it(`replays seed ${REPLAY}`, async () => {
      const result = await runSeed(Number(REPLAY), { trace: true, steps: STEPS, extras: EXTRAS, quorum: onQuorum(Number(REPLAY)), snapshotBytes: SNAPSHOT_BYTES })
      console.log([`seed ${REPLAY} config ${result.config}`, ...result.trace, `stats ${JSON.stringify(result.stats)}`].join('\n'))
      if (result.failure) expect.fail(await explain(result, EXTRAS))
    })
    return
  }

  it('replays a seed exactly (same trace twice)', async () => {
    const a = await runSeed(7, { trace: true })
    const b = await runSeed(7, { trace: true })
    expect(a.trace.length).toBeGreaterThan(100)
    expect(b.trace).toEqual(a.trace)
    const c = await runSeed(10, { trace: true, quorum: true })
    const d = await runSeed(10, { trace: true, quorum: true })
    expect(d.trace).toEqual(c.trace)
  })

  const [from, to] = seedRange()
  const totals: Record<string, number> = {}
  for (let start = from; start <= to; start += CHUNK) {
    const end = Math.min(start + CHUNK - 1, to)
    it(`seeds ${start}-${end}: the invariants hold after every step`, async () => {
      for (let seed = start; seed <= end; seed++) {
        if (RANGE === undefined && SWEEP_OPEN.includes(seed)) continue
        const result = await runSeed(seed, { steps: STEPS, extras: EXTRAS, quorum: onQuorum(seed), snapshotBytes: SNAPSHOT_BYTES })
        for (const [k, v] of Object.entries(result.stats)) totals[k] = (totals[k] ?? 0) + v
        if (result.failure) expect.fail(await explain(result, EXTRAS))
      }
    })
  }

  it('the seeds exercised what they claim to (elections, truncations, acks, refusals, transactions)', () => {
    if (Object.keys(totals).length === 0) return
    console.log(`sim totals over seeds ${from}-${to}: ${JSON.stringify(totals)}`)
    const seeds = to - from + 1 - (RANGE === undefined ? SWEEP_OPEN.length : 0)
    expect(totals.ackedAll).toBeGreaterThan(seeds * 5)
    expect(totals.elections).toBeGreaterThan(seeds * 2)
    expect(totals.restarts).toBeGreaterThan(seeds / 2)
    expect(totals.truncations).toBeGreaterThan(0)
    expect(totals.notEnoughReplicas).toBeGreaterThan(0)
    // Transactions: committed, aborted, timed out, fenced, with offsets, and the LSO held back.
    expect(totals.txnCommitted).toBeGreaterThan(seeds)
    expect(totals.txnAborted).toBeGreaterThan(0)
    expect(totals.txnTimedOut).toBeGreaterThan(0)
    expect(totals.txnFenced).toBeGreaterThan(0)
    expect(totals.txnOffsetCommits).toBeGreaterThan(0)
    expect(totals.txnLsoChecks).toBeGreaterThan(0)
    // The quorum seeds: leaders crashed and replaced, a majority lost and back.
    if (Array.from({ length: seeds }, (_, i) => from + i).some(onQuorum)) {
      expect(totals.quorumLeaderChanges).toBeGreaterThan(0)
      expect(totals.voterMajorityCrashes).toBeGreaterThan(0)
    }
    // DeleteRecords: acknowledged, and readers sent past what was deleted.
    if (EXTRAS.includes('deleteRecords')) {
      expect(totals.deleteRecordsAcked).toBeGreaterThan(seeds)
      expect(totals.consumerOutOfRange).toBeGreaterThan(0)
    }
    // Reassignments: moves acknowledged and cancelled, under the crashes of the other actions.
    if (EXTRAS.includes('reassign')) {
      expect(totals.reassignAcked).toBeGreaterThan(seeds)
      expect(totals.reassignCancels).toBeGreaterThan(0)
    }
  })
})
