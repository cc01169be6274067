/**
 * The coordinator's marker sending (txn-marker-channel.ts) against a scripted broker link: one
 * request per leader, retries of what a leader refused or could not be asked, a leader looked up
 * again after it moved, a deleted topic dropped, a newer epoch at a leader abandoning the send.
 */
import { describe, expect, it } from 'vitest'
import type { ClusterView } from '../../src/broker/cluster-view.js'
import type { BrokerLink } from '../../src/broker/replica-fetcher.js'
import { TxnMarkerChannel, type TxnMarkers } from '../../src/broker/txn-marker-channel.js'
import type { TxnMarkerOutcome, TxnMarkerSpec } from '../../src/broker/txn-markers.js'
import { MetadataImage } from '../../src/cluster/metadata.js'
import type { Scheduler } from '../../src/cluster/scheduler.js'
import { ErrorCode } from '../../src/protocol/errors.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
/** Backoffs run at once: the test is about what is sent, not when. */
const immediate: Scheduler = {
  nowMs: () => 0,
  setTimer: (fn) => {
    const t = setImmediate(fn)
    return () => clearImmediate(t)
  },
}

function image(leaders: Record<string, number[]>): MetadataImage {
  const img = new MetadataImage()
  let offset = 0
  for (const [name, partitions] of Object.entries(leaders)) {
    img.apply({ type: 'topic', name, topicId: `id-${name}` }, offset++)
    partitions.forEach((leader, partition) =>
      img.apply({ type: 'partition', topicId: `id-${name}`, partition, replicas: [1, 2, 3], isr: [1, 2, 3], leader, leaderEpoch: 0, partitionEpoch: 0 }, offset++),
    )
  }
  return img
}

type Answer = (leaderId: number, spec: TxnMarkerSpec) => Record<string, number> | 'unreachable'

/** A link that answers each partition (`topic-partition` → error code) as `answer` says, and records the requests. */
function scriptedLink(answer: Answer): { link: BrokerLink; sent: { to: number; partitions: string[] }[] } {
  const sent: { to: number; partitions: string[] }[] = []
  const link = {
    replicaFetch: () => Promise.reject(new Error('not in this test')),
    writeTxnMarkers: async (_from: number, to: number, markers: TxnMarkerSpec[]): Promise<TxnMarkerOutcome[]> => {
      const spec = markers[0]!
      sent.push({ to, partitions: spec.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p}`)) })
      const codes = answer(to, spec)
      if (codes === 'unreachable') throw new Error(`broker ${to} is not reachable`)
      return [{ producerId: spec.producerId, topics: spec.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p, errorCode: codes[`${t.name}-${p}`] ?? ErrorCode.NONE })) })) }]
    },
  } as unknown as BrokerLink
  return { link, sent }
}

function channel(img: MetadataImage, link: BrokerLink): TxnMarkerChannel {
  return new TxnMarkerChannel({ brokerId: 1, cluster: { image: img } as unknown as ClusterView, scheduler: immediate, log: quiet, link })
}

const markers = (partitions: [string, number][]): TxnMarkers => ({
  transactionalId: 'tx',
  producerId: 7,
  producerEpoch: 2,
  committed: true,
  coordinatorEpoch: 5,
  partitions: partitions.map(([topic, partition]) => ({ topic, partition })),
})

describe('broker/txn-coordinator markers', () => {
  it('one request per leader, with the producer, result and coordinator epoch', async () => {
    const specs: TxnMarkerSpec[] = []
    const { link, sent } = scriptedLink((_to, spec) => {
      specs.push(spec)
      return {}
    })
    const img = image({ a: [1, 2], b: [2] })
    expect(await channel(img, link).send(markers([['a', 0], ['a', 1], ['b', 0]]), () => true)).toBe('written')
    expect(sent.sort((x, y) => x.to - y.to)).toEqual([
      { to: 1, partitions: ['a-0'] },
      { to: 2, partitions: ['a-1', 'b-0'] },
    ])
    expect(specs[0]).toMatchObject({ producerId: 7, producerEpoch: 2, committed: true, coordinatorEpoch: 5 })
  })

  it('retries what a leader refused, at the leader the metadata names now', async () => {
    const img = image({ a: [2] })
    let refusals = 0
    const { link, sent } = scriptedLink((to): Record<string, number> => {
      if (to === 2 && refusals++ === 0) {
        // The leadership moves to broker 3 as broker 2 refuses.
        img.apply({ type: 'partitionChange', topicId: 'id-a', partition: 0, leader: 3 }, 100)
        return { 'a-0': ErrorCode.NOT_LEADER_OR_FOLLOWER }
      }
      return {}
    })
    expect(await channel(img, link).send(markers([['a', 0]]), () => true)).toBe('written')
    expect(sent.map((s) => s.to)).toEqual([2, 3])
  })

  it('retries a leader that cannot be reached, and partitions with no leader, until they can be written', async () => {
    const img = image({ a: [2, -1] })
    let attempts = 0
    const written: string[] = []
    const { link, sent } = scriptedLink((to, spec) => {
      if (++attempts < 3) return 'unreachable'
      // a-1 gets a leader once a-0 is written.
      if (img.topicsByName.get('a')!.partitions[1]!.leader < 0) img.apply({ type: 'partitionChange', topicId: 'id-a', partition: 1, leader: to }, 100)
      written.push(...spec.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p}`)))
      return {}
    })
    expect(await channel(img, link).send(markers([['a', 0], ['a', 1]]), () => true)).toBe('written')
    expect(sent.slice(0, 2)).toEqual([
      { to: 2, partitions: ['a-0'] },
      { to: 2, partitions: ['a-0'] },
    ])
    expect(written).toEqual(['a-0', 'a-1'])
  })

  it('drops a partition whose topic is gone', async () => {
    const { link, sent } = scriptedLink(() => ({}))
    expect(await channel(image({ a: [1] }), link).send(markers([['a', 0], ['gone', 0]]), () => true)).toBe('written')
    expect(sent).toEqual([{ to: 1, partitions: ['a-0'] }])
  })

  it('abandons on a newer producer or coordinator epoch at a leader', async () => {
    for (const code of [ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]) {
      const { link } = scriptedLink(() => ({ 'a-0': code }))
      expect(await channel(image({ a: [1] }), link).send(markers([['a', 0]]), () => true)).toBe('abandoned')
    }
  })

  it('stops when the coordinator no longer owns the transaction', async () => {
    let owned = true
    const { link, sent } = scriptedLink(() => {
      owned = false
      return { 'a-0': ErrorCode.NOT_ENOUGH_REPLICAS }
    })
    expect(await channel(image({ a: [1] }), link).send(markers([['a', 0]]), () => owned)).toBe('cancelled')
    expect(sent).toHaveLength(1)
  })
})
