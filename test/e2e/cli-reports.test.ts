/**
 * Reports read the same way everywhere: fault errors by Kafka's error name (however they were
 * given), and every delete command reports on stderr, stdout left to data (and --json).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon
const run = (args: string[], input?: string) => sluice(args, { home: d.home, env: d.env, input })

beforeAll(async () => {
  d = await startDaemon({ brokers: 1 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

describe('reports', () => {
  it('fault add error --error 6 shows NOT_LEADER_OR_FOLLOWER, in add, list and --json', async () => {
    const brokers = JSON.parse((await run(['broker', 'list', '--json'])).stdout) as { brokers: { id: number }[] }
    const broker = String(brokers.brokers[0]!.id)
    const added = await run(['fault', 'add', 'error', '--broker', broker, '--api', 'fetch', '--error', '6', '--count', '5'])
    expect(added.exitCode, added.stderr).toBe(0)
    expect(added.stderr).toMatch(/NOT_LEADER_OR_FOLLOWER on the next 5/)
    const list = await run(['fault', 'list'])
    expect(list.stdout).toMatch(/NOT_LEADER_OR_FOLLOWER/)
    expect(list.stdout).not.toMatch(/\b6 on the next/)
    const json = JSON.parse((await run(['fault', 'list', '--json'])).stdout) as { faults: { error: string }[] }
    expect(json.faults.map((f) => f.error)).toEqual(['NOT_LEADER_OR_FOLLOWER'])
    expect((await run(['fault', 'clear'])).exitCode).toBe(0)
  })

  it('topic delete and group delete both report on stderr, stdout empty', async () => {
    expect((await run(['topic', 'create', 'rp', '--partitions', '1'])).exitCode).toBe(0)
    expect((await run(['produce', 'rp'], '{"a":1}\n')).exitCode).toBe(0)
    const consumed = await run(['consume', 'rp', '--group', 'rp-g', '--exit'])
    expect(consumed.exitCode, consumed.stderr).toBe(0)
    const group = await run(['group', 'delete', 'rp-g'])
    expect(group.exitCode, group.stderr).toBe(0)
    expect(group.stdout).toBe('')
    expect(group.stderr).toBe('sluice: deleted group rp-g')
    const topic = await run(['topic', 'delete', 'rp'])
    expect(topic.exitCode, topic.stderr).toBe(0)
    expect(topic.stdout).toBe('')
    expect(topic.stderr).toBe('sluice: deleted topic rp')
  })
})
