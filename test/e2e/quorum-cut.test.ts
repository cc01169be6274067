/**
 * Partitioning the controller quorum with `fault add cut`, end to end: 3 brokers that are also the
 * 3 voters. The quorum leader's broker is cut from both others: `cluster quorum` shows a new leader
 * at a higher epoch, `cluster events` tells the election, and a topic is created meanwhile (the
 * two voters left are a majority). `fault clear` heals it: the old leader follows the new one,
 * and every voter reaches the leader's log end (DescribeQuorum's lag 0). Waits on conditions only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluice, sluiceJson, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })

const json = <T>(args: string[]): Promise<T> => sluiceJson<T>(args, { home: d.home, env: d.env })

interface Replication {
  leaderId: number
  leaderEpoch: number
  replicas: { nodeId: number; lag: number; status: string }[]
}

const replication = (): Promise<Replication> => json<Replication>(['cluster', 'quorum', '--replication'])

describe('e2e/quorum-cut', () => {
  it('the quorum leader cut from both other voters: a new leader at a higher epoch, told as an event, metadata changes go on; healed, every voter follows it', async () => {
    const before = await replication()
    const old = before.leaderId
    const others = d.brokers.map((b) => b.id).filter((id) => id !== old)
    expect(others).toHaveLength(2)

    const cuts = await Promise.all(others.map((other) => run(['fault', 'add', 'cut', '--link', `${old}-${other}`])))
    for (const cut of cuts) expect(cut.exitCode, cut.stderr).toBe(0)
    const during = await until('a new quorum leader', async () => {
      const s = await json<{ leaderId: number; leaderEpoch: number }>(['cluster', 'quorum'])
      return s.leaderId !== old && s.leaderId !== -1 && s.leaderEpoch > before.leaderEpoch ? s : undefined
    })
    expect(others).toContain(during.leaderId)

    // The two voters left commit a topic's creation.
    const created = await run(['topic', 'create', 'during-cut', '--partitions', '1', '--replication-factor', '3'])
    expect(created.exitCode, created.stderr).toBe(0)

    const events = (await run(['cluster', 'events', '--json'])).stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const elected = events.find((e) => e.type === 'quorum.leader' && e.leaderId === during.leaderId && e.epoch === during.leaderEpoch)
    expect(elected, JSON.stringify(events.filter((e) => String(e.type).startsWith('quorum.')))).toMatchObject({
      offset: null,
      previousLeaderId: old,
      voters: d.brokers.map((b) => b.id),
      message: `controller quorum: voter ${during.leaderId} leads epoch ${during.leaderEpoch} (was voter ${old})`,
    })
    expect(events.some((e) => e.type === 'topic.created' && e.topic === 'during-cut')).toBe(true)

    expect((await run(['fault', 'clear'])).exitCode).toBe(0)
    const healed = await until('every voter caught up with the leader', async () => {
      const r = await replication()
      return r.replicas.length === 3 && r.replicas.every((x) => x.lag === 0) ? r : undefined
    })
    // The old leader heard the higher epoch and follows; no election was needed to heal.
    expect(healed.leaderId).toBe(during.leaderId)
    expect(healed.leaderEpoch).toBe(during.leaderEpoch)
    expect(healed.replicas.find((x) => x.nodeId === old)).toMatchObject({ status: 'Follower', lag: 0 })
  })
})
