import { describe, expect, it } from 'vitest'
import { SendPipeline, type Message, type SendBatch, type Sender } from '../../../src/client/produce/send-pipeline.js'

function batch(firstLineNo: number, n: number, partition = 0): SendBatch {
  const perPartition = [0, 0]
  perPartition[partition] = n
  const messages: Message[] = Array.from({ length: n }, () => ({ topic: 't', value: Buffer.from('{}'), partition }))
  return { messages, perPartition, bytes: 2 * n, firstLineNo, lastLineNo: firstLineNo + n - 1 }
}

/** A sender whose sends complete when the test says. */
function manualSender(): Sender & { pending: { resolve: () => void; reject: (e: Error) => void; n: number }[] } {
  const pending: { resolve: () => void; reject: (e: Error) => void; n: number }[] = []
  return {
    pending,
    send: (o) => new Promise<void>((resolve, reject) => pending.push({ resolve, reject, n: o.messages.length })),
  }
}

describe('client/produce/send-pipeline', () => {
  it('bounds the sends in flight and counts what is acknowledged', async () => {
    const sender = manualSender()
    const p = new SendPipeline(sender, { acks: -1, compression: 'none', numPartitions: 2, inFlightMax: 2 })
    await p.send(batch(1, 3))
    let second = false
    const s2 = p.send(batch(4, 2, 1)).then(() => (second = true))
    await new Promise((r) => setImmediate(r))
    expect(second).toBe(false) // two in flight: the reader waits
    sender.pending[0]!.resolve()
    await s2
    expect(p.acked.records).toBe(3)
    sender.pending[1]!.resolve()
    await p.drain()
    expect(p.acked).toEqual({ records: 5, bytes: 10, perPartition: [3, 2] })
  })

  it('keeps the earliest failure and sends nothing after a failure', async () => {
    const sender = manualSender()
    const p = new SendPipeline(sender, { acks: -1, compression: 'none', numPartitions: 2, inFlightMax: 10 })
    await p.send(batch(1, 2))
    await p.send(batch(3, 2))
    await p.send(batch(5, 2))
    sender.pending[2]!.reject(new Error('late'))
    sender.pending[1]!.reject(new Error('early'))
    sender.pending[0]!.resolve()
    await p.drain()
    expect(p.failure).toMatchObject({ firstLineNo: 3, lastLineNo: 4 })
    expect((p.failure!.error as Error).message).toBe('early')
    expect(p.acked.records).toBe(2)
    await p.send(batch(7, 1))
    expect(sender.pending).toHaveLength(3)
  })

  describe('idempotent', () => {
    const opts = { acks: -1, compression: 'none' as const, numPartitions: 2, inFlightMax: 8, idempotent: true, deliveryTimeoutMs: 60_000, retryBackoffMs: 1 }

    it('batches start in the order they were given, even when the caller does not wait between sends', async () => {
      // A waits in flight for partition 0; B (given without waiting, as produce's linger flush does)
      // waits for it; then A is acknowledged and C arrives k microtasks later. Whatever k, B goes
      // before C: a fresh send once slipped in between the partition freeing and B's wake-up, and
      // its records landed before B's (seen as "out of order" by the failover drill under load).
      for (let k = 0; k <= 12; k++) {
        const sender = manualSender()
        const p = new SendPipeline(sender, opts)
        await p.send(batch(1, 1))
        void p.send(batch(2, 2))
        sender.pending[0]!.resolve()
        for (let i = 0; i < k; i++) await Promise.resolve()
        void p.send(batch(4, 3))
        for (let round = 0; round < 3; round++) {
          await new Promise((r) => setImmediate(r))
          sender.pending.at(-1)?.resolve()
        }
        await p.drain()
        expect(sender.pending.map((x) => x.n), `k=${k}`).toEqual([1, 2, 3])
      }
    })
    const retriable = (e: unknown): boolean => (e as Error).message === 'NOT_LEADER'

    it('one send in flight per partition: the next batch for a busy partition waits, another partition goes at once', async () => {
      const sender = manualSender()
      const p = new SendPipeline(sender, { ...opts, retriable })
      await p.send(batch(1, 2, 0))
      await p.send(batch(3, 2, 1))
      expect(sender.pending).toHaveLength(2)
      let third = false
      const s3 = p.send(batch(5, 2, 0)).then(() => (third = true))
      await new Promise((r) => setImmediate(r))
      expect(third).toBe(false)
      expect(sender.pending).toHaveLength(2)
      sender.pending[0]!.resolve()
      await s3
      expect(sender.pending).toHaveLength(3)
      sender.pending[1]!.resolve()
      sender.pending[2]!.resolve()
      await p.drain()
      expect(p.acked).toEqual({ records: 6, bytes: 12, perPartition: [4, 2] })
    })

    it('retries a retriable failure, resending only the partitions not reported produced, with fresh metadata', async () => {
      const sent: number[][] = []
      let attempts = 0
      let cleared = 0
      const sender: Sender = {
        clearMetadata: () => void cleared++,
        send: async (o) => {
          sent.push(o.messages.map((m) => m.partition!))
          if (attempts++ === 0) throw Object.assign(new Error('NOT_LEADER'), { produced: { offsets: [{ topic: 't', partition: 1, offset: 0 }] } })
        },
      }
      const p = new SendPipeline(sender, { ...opts, retriable })
      const mixed = batch(1, 2, 0)
      mixed.messages.push({ topic: 't', value: Buffer.from('{}'), partition: 1 })
      mixed.perPartition[1] = 1
      await p.send(mixed)
      await p.drain()
      expect(sent).toEqual([[0, 0, 1], [0, 0]])
      expect(cleared).toBe(1)
      expect(p.retries).toBe(1)
      expect(p.failure).toBeUndefined()
      expect(p.acked.records).toBe(3)
    })

    it('gives up on an error that is not retriable, and after the delivery timeout', async () => {
      const fatal: Sender = { send: () => Promise.reject(new Error('TOO_LARGE')) }
      const p = new SendPipeline(fatal, { ...opts, retriable })
      await p.send(batch(1, 1))
      await p.drain()
      expect((p.failure!.error as Error).message).toBe('TOO_LARGE')
      expect(p.retries).toBe(0)
      const always: Sender = { send: () => Promise.reject(new Error('NOT_LEADER')) }
      const q = new SendPipeline(always, { ...opts, retriable, deliveryTimeoutMs: 30, retryBackoffMs: 5 })
      await q.send(batch(1, 1))
      await q.drain()
      expect((q.failure!.error as Error).message).toBe('NOT_LEADER')
      expect(q.retries).toBeGreaterThan(0)
    })
  })
})
