/**
 * Reads a whole topic back through sluice's own codec, partition by partition, up to the high
 * watermark; read_committed: up to the last stable offset, without the records of aborted
 * transactions (Kafka's consumer's way: the fetch's abortedTransactions list, ended by each
 * producer's ABORT marker) and without control batches.
 */
import { decodeRecordBatches } from '../../src/protocol/record-batch.js'
import { RawClient } from './raw-client.js'
import { fetchRequest } from './fetch-request.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

export interface ReadRecord {
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: [string, string | null][]
}

export async function readTopic(bootstrapPort: number, topic: string, isolation: 'read_uncommitted' | 'read_committed' = 'read_uncommitted'): Promise<ReadRecord[]> {
  const committed = isolation === 'read_committed'
  const boot = await RawClient.connect(bootstrapPort)
  const meta = await boot.request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  boot.close()
  const brokers = new Map<number, number>(meta.brokers.map((b: { nodeId: number; port: number }) => [b.nodeId, b.port]))
  const out: ReadRecord[] = []
  for (const p of meta.topics[0].partitions as { partitionIndex: number; leaderId: number }[]) {
    const leader = await RawClient.connect(brokers.get(p.leaderId)!)
    let offset = 0
    /** Producers whose transaction at this point of the log is an aborted one. */
    const aborting = new Set<number>()
    for (;;) {
      const f = await leader.request(ApiKey.Fetch, 12, fetchRequest(topic, offset, { partition: p.partitionIndex, maxBytes: 50_000_000, partitionMaxBytes: 10_000_000, isolationLevel: committed ? 1 : 0 }))
      const part = f.responses[0].partitions[0]
      if (part.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${topic}/${p.partitionIndex} at ${offset}: error ${part.errorCode}`)
      const before = offset
      const aborted = ((part.abortedTransactions ?? []) as { producerId: bigint | number; firstOffset: bigint | number }[]).map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) }))
      for (const b of decodeRecordBatches(part.records)) {
        const h = b.header
        for (const a of aborted) if (a.firstOffset <= h.lastOffset) aborting.add(a.producerId)
        aborted.splice(0, aborted.length, ...aborted.filter((a) => a.firstOffset > h.lastOffset))
        if (h.isControl || (committed && h.isTransactional && aborting.has(h.producerId))) {
          // An ABORT marker (control type 0) ends the producer's aborted transaction.
          if (h.isControl && b.records[0]?.key?.readInt16BE(2) === 0) aborting.delete(h.producerId)
          offset = Math.max(offset, h.lastOffset + 1)
          continue
        }
        for (const r of b.records) {
          const o = r.offset
          if (o < offset) continue
          out.push({
            partition: p.partitionIndex,
            offset: o,
            timestamp: r.timestamp,
            key: r.key === null ? null : r.key.toString(),
            value: r.value === null ? null : r.value.toString(),
            headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString()]),
          })
          offset = o + 1
        }
      }
      if (offset >= (committed ? part.lastStableOffset : part.highWatermark) || offset === before) break
    }
    leader.close()
  }
  return out
}

/** True when no partition of the topic has an open transaction: each leader's last stable offset is its high watermark. */
export async function isStable(bootstrapPort: number, topic: string): Promise<boolean> {
  const boot = await RawClient.connect(bootstrapPort)
  const meta = await boot.request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  boot.close()
  const brokers = new Map<number, number>(meta.brokers.map((b: { nodeId: number; port: number }) => [b.nodeId, b.port]))
  for (const p of meta.topics[0].partitions as { partitionIndex: number; leaderId: number }[]) {
    const leader = await RawClient.connect(brokers.get(p.leaderId)!)
    try {
      const f = await leader.request(ApiKey.Fetch, 12, fetchRequest(topic, 0, { partition: p.partitionIndex, maxBytes: 1, partitionMaxBytes: 1, isolationLevel: 1 }))
      const part = f.responses[0].partitions[0]
      if (part.errorCode !== ErrorCode.NONE || Number(part.lastStableOffset) !== Number(part.highWatermark)) return false
    } finally {
      leader.close()
    }
  }
  return true
}
