/** Reads a whole topic back through sluice's own codec, partition by partition, up to the high watermark. */
import { decodeRecordBatches } from '../../src/protocol/record-batch.js'
import { RawClient } from './raw-client.js'
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

export async function readTopic(bootstrapPort: number, topic: string): Promise<ReadRecord[]> {
  const boot = await RawClient.connect(bootstrapPort)
  const meta = await boot.request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  boot.close()
  const brokers = new Map<number, number>(meta.brokers.map((b: { nodeId: number; port: number }) => [b.nodeId, b.port]))
  const out: ReadRecord[] = []
  for (const p of meta.topics[0].partitions as { partitionIndex: number; leaderId: number }[]) {
    const leader = await RawClient.connect(brokers.get(p.leaderId)!)
    let offset = 0
    for (;;) {
      const f = await leader.request(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 50_000_000,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: p.partitionIndex, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 10_000_000 }] }],
        forgottenTopicsData: [],
        rackId: '',
      })
      const part = f.responses[0].partitions[0]
      if (part.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${topic}/${p.partitionIndex} at ${offset}: error ${part.errorCode}`)
      const before = offset
      for (const b of decodeRecordBatches(part.records)) {
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
      if (offset >= part.highWatermark || offset === before) break
    }
    leader.close()
  }
  return out
}
