/**
 * `sluice replay --into` exactly once across interruptions, through the built binary against a
 * real daemon (3 brokers): each chunk and the replay's progress commit in one transaction, so a
 * replay killed with SIGKILL at several points and run again (the same command) leaves the target,
 * read committed, holding each source record exactly once. Also: a completed replay run again
 * writes nothing, --restart replays again, Ctrl-C resumes by the same command, --transactional-id
 * names the replay. Records are matched by the source partition and offset headers replay adds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HANG_MS, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { isStable, readTopic, type ReadRecord } from '../support/read-back.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
})
afterAll(async () => {
  if (d) await stopDaemon(d)
})

interface Result {
  records: number
  matched: number
  produced: number
  stoppedBy: string
  resumeFrom: string
  replayId?: string
  resumed?: Record<string, number>
  alreadyComplete?: boolean
  transactions?: number
}

const lines = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, pad: 'x'.repeat(50) }))

/** A source topic of `n` records spread over its 3 partitions by key. */
async function fill(topic: string, n: number): Promise<void> {
  const r = await sluice(['produce', topic, '--key', '.id', '--json'], { env: d.env, input: lines(n).join('\n') })
  expect(r.exitCode, r.stderr).toBe(0)
}

/** "partition:offset" of the source record each target record was copied from. */
const sources = (rs: ReadRecord[]): string[] =>
  rs.map((r) => {
    const h = new Map(r.headers)
    return `${h.get('sluice-replay-source-partition')}:${h.get('sluice-replay-source-offset')}`
  })

/** The target read committed, once no transaction is open in it. */
async function committed(topic: string): Promise<ReadRecord[]> {
  await until(`no open transaction in ${topic}`, async () => ((await isStable(d.port, topic).catch(() => false)) ? true : undefined), HANG_MS, 50)
  return readTopic(d.port, topic, 'read_committed')
}

/** Each source record exactly once: no duplicate, none missing. */
async function expectExactlyOnce(source: string, target: string): Promise<void> {
  const want = (await readTopic(d.port, source)).map((r) => `${r.partition}:${r.offset}`)
  const got = sources(await committed(target))
  const dups = got.filter((s, i) => got.indexOf(s) !== i)
  expect(dups).toEqual([])
  expect(got.sort()).toEqual(want.sort())
}

function replay(args: string[]) {
  return sluice(['replay', ...args, '--json'], { env: d.env })
}

describe.concurrent('replay --into, exactly once', () => {
  it('commits the records with the progress; the same command run again writes nothing; --restart replays again', async () => {
    await fill('eo-src', 300)
    const args = ['eo-src', '--from', 'earliest', '--into', 'eo-dst']
    const r = await replay(args)
    expect(r.exitCode, r.stderr).toBe(0)
    const first = JSON.parse(r.stdout) as Result
    expect(first).toMatchObject({ matched: 300, produced: 300, stoppedBy: 'end', alreadyComplete: false })
    expect(first.replayId).toMatch(/^sluice-replay-[0-9a-f]{16}$/)
    expect(first.transactions).toBeGreaterThanOrEqual(1)
    await expectExactlyOnce('eo-src', 'eo-dst')

    const again = await replay(args)
    expect(again.exitCode, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ replayId: first.replayId, alreadyComplete: true, matched: 0, produced: 0 })
    expect(again.stderr).toMatch(/completed in an earlier run: nothing to write/)
    await expectExactlyOnce('eo-src', 'eo-dst')

    const restart = await replay([...args, '--restart'])
    expect(restart.exitCode, restart.stderr).toBe(0)
    expect(JSON.parse(restart.stdout)).toMatchObject({ matched: 300, produced: 300 })
    expect(await committed('eo-dst')).toHaveLength(600)
  })

  it('killed with SIGKILL at several points and run again, the target holds each source record exactly once', async () => {
    await fill('eo-kill-src', 3000)
    // Paced, so that the kills land in the middle of the replay.
    const args = ['replay', 'eo-kill-src', '--from', 'earliest', '--into', 'eo-kill-dst', '--rate', '500/s', '--json']
    let killedRunning = 0
    for (const seen of [1, 600, 1500, 2400]) {
      const child = spawnSluice(args, { env: d.env })
      // Seen with read_uncommitted: sent, maybe not committed yet (the kill may land in a transaction).
      await until(`${seen} records in eo-kill-dst`, async () => {
        if (child.exitCode !== null) return true
        const n = (await readTopic(d.port, 'eo-kill-dst').catch(() => [])).length
        return n >= seen ? true : undefined
      }, HANG_MS, 10)
      child.kill('SIGKILL')
      // Killed, or finished before the kill (then the kill came too late to count).
      if ((await child).signal === 'SIGKILL') killedRunning++
    }
    // The kills land in the middle of the replay (paced at 500 records a second, it lasts 6 s).
    expect(killedRunning).toBeGreaterThanOrEqual(2)
    const last = await sluice(args, { env: d.env })
    expect(last.exitCode, last.stderr).toBe(0)
    const result = JSON.parse(last.stdout) as Result
    expect(result.stoppedBy).toBe('end')
    expect(last.stderr).toMatch(/resuming replay sluice-replay-[0-9a-f]{16} from its committed progress|completed in an earlier run/)
    await expectExactlyOnce('eo-kill-src', 'eo-kill-dst')
  })

  it('after Ctrl-C, the same command resumes (and the --from it prints still resumes)', async () => {
    await fill('eo-int-src', 1000)
    const args = ['replay', 'eo-int-src', '--from', 'earliest', '--into', 'eo-int-dst', '--rate', '1000/s', '--json']
    const child = spawnSluice(args, { env: d.env })
    await until('records in eo-int-dst', async () => ((await readTopic(d.port, 'eo-int-dst').catch(() => [])).length >= 200 ? true : undefined), HANG_MS, 10)
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).toBe(130)
    const stopped = JSON.parse(String(r.stdout)) as Result
    expect(String(r.stderr)).toMatch(new RegExp(`interrupted; run the same command again to resume replay ${stopped.replayId}, or resume with --from ${stopped.resumeFrom}`))
    // What was read is committed with its progress: read committed, the target holds exactly that.
    expect(await committed('eo-int-dst')).toHaveLength(stopped.produced)
    const again = await sluice(args, { env: d.env })
    expect(again.exitCode, again.stderr).toBe(0)
    const resumed = JSON.parse(again.stdout) as Result
    expect(resumed.resumed).toEqual(Object.fromEntries(stopped.resumeFrom.split(',').map((pn) => pn.split(':')).map(([p, n]) => [p, Number(n)])))
    expect(stopped.produced + resumed.produced).toBe(1000)
    await expectExactlyOnce('eo-int-src', 'eo-int-dst')
  })

  it('--transactional-id names the replay; --restart and --transactional-id need --into', async () => {
    await fill('eo-named-src', 30)
    const r = await replay(['eo-named-src', '--from', 'earliest', '--into', 'eo-named-dst', '--transactional-id', 'nightly-copy'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ replayId: 'nightly-copy', produced: 30 })
    for (const flag of [['--restart'], ['--transactional-id', 'x']]) {
      const u = await sluice(['replay', 'eo-named-src', '--from', 'earliest', ...flag], { env: d.env })
      expect(u.exitCode).toBe(2)
      expect(u.stderr).toMatch(/applies only with --into/)
    }
  })

  it('splits what one commit sends into batches the target takes (its max.message.bytes), however much was read meanwhile', async () => {
    await fill('eo-big-src', 2000)
    const created = await sluice(['topic', 'create', 'eo-big-dst', '--partitions', '3', '--config', 'max.message.bytes=20000'], { env: d.env })
    expect(created.exitCode, created.stderr).toBe(0)
    const r = await replay(['eo-big-src', '--from', 'earliest', '--into', 'eo-big-dst'])
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ produced: 2000 })
    await expectExactlyOnce('eo-big-src', 'eo-big-dst')
  })
})
