/**
 * Static membership on a real broker: two consumers that share one group.instance.id. The second
 * replaces the first's member id; every later request of the first is answered FENCED_INSTANCE_ID
 * (the instance id is checked before the member id), so it stops instead of rejoining and
 * fencing the second in turn, and the second keeps its membership and its assignment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { until } from '../helpers/wait.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { RawClient } from '../support/raw-client.js'

const GROUP = 'static-twins'
const INSTANCE = 'instance-1'

describe('broker/static-membership', () => {
  let cluster: TestCluster
  let first: RawClient
  let second: RawClient

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    const bootstrap = await RawClient.connect(cluster.port)
    const coordinator = await until(`a coordinator for ${GROUP}`, async () => {
      const found = await bootstrap.request(ApiKey.FindCoordinator, 3, { key: GROUP, keyType: 0 })
      return found.errorCode === ErrorCode.NONE ? (found.port as number) : undefined
    })
    bootstrap.close()
    first = await RawClient.connect(coordinator)
    second = await RawClient.connect(coordinator)
    const r = await first.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'static-in', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    })
    expect(r.topics[0].errorCode).toBe(ErrorCode.NONE)
  })
  afterAll(async () => {
    first?.close()
    second?.close()
    await cluster?.stop()
  })

  const joinAs = (c: RawClient) =>
    until('a JoinGroup answered by a loaded coordinator', async () => {
      const r = await c.request(ApiKey.JoinGroup, 5, {
        groupId: GROUP,
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        memberId: '',
        groupInstanceId: INSTANCE,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      })
      return r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE ? undefined : r
    })
  const heartbeat = async (c: RawClient, memberId: string, generationId: number): Promise<number> =>
    (await c.request(ApiKey.Heartbeat, 3, { groupId: GROUP, generationId, memberId, groupInstanceId: INSTANCE })).errorCode
  const sync = (c: RawClient, memberId: string, generationId: number, assignment: Buffer) =>
    c.request(ApiKey.SyncGroup, 3, { groupId: GROUP, generationId, memberId, groupInstanceId: INSTANCE, assignments: [{ memberId, assignment }] })

  it('the replaced member is fenced on every request; its replacement keeps the assignment', async () => {
    const a = await joinAs(first)
    expect(a.errorCode).toBe(ErrorCode.NONE)
    const synced = await sync(first, a.memberId, a.generationId, Buffer.from('p0'))
    expect(synced.errorCode).toBe(ErrorCode.NONE)
    expect(await heartbeat(first, a.memberId, a.generationId)).toBe(ErrorCode.NONE)

    const b = await joinAs(second)
    expect(b.errorCode).toBe(ErrorCode.NONE)
    expect(b.memberId).not.toBe(a.memberId)
    expect(b.generationId).toBe(a.generationId)

    expect(await heartbeat(first, a.memberId, a.generationId)).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect((await sync(first, a.memberId, a.generationId, Buffer.alloc(0))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
    const rejoin = await first.request(ApiKey.JoinGroup, 5, {
      groupId: GROUP,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId: a.memberId,
      groupInstanceId: INSTANCE,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    })
    expect(rejoin.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
    const commit = await first.request(ApiKey.OffsetCommit, 7, {
      groupId: GROUP,
      generationIdOrMemberEpoch: a.generationId,
      memberId: a.memberId,
      groupInstanceId: INSTANCE,
      topics: [{ name: 'static-in', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
    })
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
    const leave = await first.request(ApiKey.LeaveGroup, 4, { groupId: GROUP, members: [{ memberId: a.memberId, groupInstanceId: INSTANCE }] })
    expect(leave.members[0].errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)

    // The replacement was not disturbed: no rebalance, the same generation and assignment.
    expect(await heartbeat(second, b.memberId, b.generationId)).toBe(ErrorCode.NONE)
    const mine = await sync(second, b.memberId, b.generationId, Buffer.alloc(0))
    expect(mine.errorCode).toBe(ErrorCode.NONE)
    expect(Buffer.from(mine.assignment).toString()).toBe('p0')
  })
})
