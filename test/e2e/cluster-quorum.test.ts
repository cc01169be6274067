/**
 * `sluice cluster quorum` through the built binary against a started daemon: --status as
 * kafka-metadata-quorum.sh prints it, --replication, both in --json, read over the Kafka wire
 * (so --bootstrap-server is taken, not refused as LOCAL_ONLY), and a usage error. An unreachable
 * cluster is reported as every wire command reports it (toClusterError, exit 3): not repeated here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 2 })
})
afterAll(async () => {
  if (d) await stopDaemon(d)
})

const run = (args: string[]) => sluice(['cluster', 'quorum', ...args], { home: d.home, env: d.env })

describe('e2e/cluster quorum', () => {
  it("--status: Kafka's lines, the controller the one voter and leader at epoch 1, its endpoint its broker's listener; the other broker an observer", async () => {
    const r = await run([])
    expect(r.exitCode).toBe(0)
    const fields = new Map(r.stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]))
    expect([...fields.keys()]).toEqual(['ClusterId', 'LeaderId', 'LeaderEpoch', 'HighWatermark', 'MaxFollowerLag', 'MaxFollowerLagTimeMs', 'CurrentVoters', 'CurrentObservers'])
    const leader = d.brokers[0]!
    expect(fields.get('LeaderId')).toBe(String(leader.id))
    expect(fields.get('CurrentVoters')).toBe(`[{"id": ${leader.id}, "directoryId": null, "endpoints": ["PLAINTEXT://${leader.host}:${leader.port}"]}]`)
    // Broker 2 follows the metadata log without voting (a KRaft broker): an observer, as Kafka lists them (no endpoints).
    expect(fields.get('CurrentObservers')).toBe(`[{"id": ${d.brokers[1]!.id}, "directoryId": null}]`)

    const json = await run(['--json', '--bootstrap-server', `${d.brokers[1]!.host}:${d.brokers[1]!.port}`])
    expect(json.exitCode).toBe(0)
    const status = JSON.parse(json.stdout)
    expect(status).toMatchObject({ leaderId: leader.id, leaderEpoch: 1, maxFollowerLag: 0, maxFollowerLagTimeMs: 0, currentObservers: [{ id: d.brokers[1]!.id, endpoints: [] }] })
    expect(status.clusterId).toBe(fields.get('ClusterId'))
    expect(status.highWatermark).toBe(Number(fields.get('HighWatermark')))
    expect(status.highWatermark).toBeGreaterThan(0)
  })

  it('--replication: one row per replica, leader first, observers last; --json the rows with the times', async () => {
    const before = Date.now()
    const r = await run(['--replication', '--json'])
    const after = Date.now()
    expect(r.exitCode).toBe(0)
    const { replicas, leaderId } = JSON.parse(r.stdout)
    expect(replicas).toHaveLength(2)
    expect(replicas[0]).toMatchObject({ nodeId: leaderId, lag: 0, status: 'Leader' })
    // The observer's log end is where its image stands: it applied everything committed.
    expect(replicas[1]).toMatchObject({ nodeId: d.brokers[1]!.id, lag: 0, status: 'Observer' })
    expect(replicas[1].lastFetchTimestamp).toBeGreaterThan(0)
    // The leader's own times are the broker's now, read between the command's start and end.
    expect(replicas[0].lastFetchTimestamp).toBeGreaterThanOrEqual(before)
    expect(replicas[0].lastFetchTimestamp).toBeLessThanOrEqual(after)

    const text = await run(['--replication', '--human-readable'])
    expect(text.exitCode).toBe(0)
    const [header, row, observer] = text.stdout.trim().split('\n')
    expect(header!.split(/\s+/)).toEqual(['NodeId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status'])
    expect(row).toMatch(new RegExp(`^${leaderId}\\s+\\d+\\s+0\\s+\\d+ ms ago\\s+\\d+ ms ago\\s+Leader$`))
    expect(observer).toMatch(new RegExp(`^${d.brokers[1]!.id}\\s+\\d+\\s+0\\s+\\d+ ms ago\\s+\\d+ ms ago\\s+Observer$`))
  })

  it('--human-readable without --replication is a usage error (exit 2)', async () => {
    const usage = await run(['--human-readable', '--json'])
    expect(usage.exitCode).toBe(2)
    expect(JSON.parse(usage.stdout).error.code).toBe('USAGE')
  })
})
