/** Record batches and a byte sink for the consume unit tests. */
import { Writable } from 'node:stream'
import { compressionsAlgorithms } from '@platformatic/kafka'
import { encodeRecordBatch, type RecordBatchInput } from '../../../src/protocol/record-batch.js'
import { walkBatches, type RecordView } from '../../../src/client/consume/batches.js'
import type { RecordFormatter } from '../../../src/client/consume/format.js'
import { OutputWriter } from '../../../src/client/consume/output.js'

export function batch(input: RecordBatchInput): Buffer {
  return encodeRecordBatch(input)
}

/** The same batch with its records compressed by a @platformatic/kafka codec (CRC not recomputed). */
export function compressedBatch(input: RecordBatchInput, codec: 'snappy' | 'lz4' | 'zstd'): Buffer {
  const plain = encodeRecordBatch(input)
  const algorithm = compressionsAlgorithms[codec]
  const records = algorithm.compressSync(plain.subarray(61)) as Buffer
  const out = Buffer.concat([plain.subarray(0, 61), records])
  out.writeInt32BE(out.length - 12, 8)
  out.writeInt16BE(plain.readInt16BE(21) | algorithm.bitmask, 21)
  return out
}

export class Sink extends Writable {
  chunks: Buffer[] = []
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk))
    cb()
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

/** Formats every record of `records` (from `from`) for `partition`; returns the output bytes. */
export function formatAll(formatter: RecordFormatter, records: Buffer, partition = 0, from = 0, chunkBytes?: number): Buffer {
  const sink = new Sink()
  const out = new OutputWriter(sink, chunkBytes)
  walkBatches(records, from, (r: RecordView) => {
    formatter.write(r, partition, out)
    return true
  })
  out.flush()
  return sink.bytes
}
