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
})
