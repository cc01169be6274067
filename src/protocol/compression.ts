/**
 * Record-batch compression codecs (gzip, snappy, lz4, zstd), @platformatic/kafka's, loaded only
 * when a compressed batch shows up: importing that library costs a CLI call about half a second
 * of CPU, which a consume of uncompressed records need not pay. Whoever hands record sets to
 * batches.ts loads them first (fetch-api.ts does, when a response holds a compressed batch), and
 * so does whoever compresses (raw-sender.ts, before a compressed send). The broker uses them only
 * to convert the old message formats (message-set.ts), loading them on the first snappy, lz4 or
 * zstd one (gzip goes through node:zlib, always there).
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import { ProtocolError } from './errors.js'

export interface CompressionAlgorithm {
  bitmask: number
  compressSync(data: Buffer): Buffer | Uint8Array
  decompressSync(data: Buffer): Buffer | Uint8Array
}

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

let byBitmask: Readonly<Record<number, CompressionAlgorithm | undefined>> | undefined
let byName: Readonly<Record<CompressionName, CompressionAlgorithm>> | undefined
let loading: Promise<void> | undefined

/** Loads the codecs (once; concurrent callers share the one load, and resume in call order). */
export function loadCompression(): Promise<void> {
  loading ??= import('@platformatic/kafka').then((lib) => {
    byName = lib.compressionsAlgorithms as unknown as Record<CompressionName, CompressionAlgorithm>
    byBitmask = lib.compressionsAlgorithmsByBitmask as unknown as Record<number, CompressionAlgorithm>
  })
  return loading
}

/** True while a load has started and not finished: a caller that must keep order waits for it too. */
export function compressionLoading(): boolean {
  return loading !== undefined && byBitmask === undefined
}

/** True once loadCompression() has run. */
export function compressionLoaded(): boolean {
  return byBitmask !== undefined
}

/** A codec by name, to compress with (loadCompression() first). */
export function compressionByName(name: CompressionName): CompressionAlgorithm {
  if (byName === undefined) throw new Error('compression codecs used before loadCompression()')
  return byName[name]
}

/** The codec of a batch's compression bits; undefined for an unknown one. */
export function compressionByBitmask(codec: number): CompressionAlgorithm | undefined {
  if (byBitmask === undefined) throw new Error('compression codecs used before loadCompression()')
  return byBitmask[codec]
}

/** True when a codec needs loadCompression() first: all but none and gzip (node:zlib, always there). */
export function codecNeedsLoading(codec: number): boolean {
  return codec !== 0 && codec !== 1
}

/** Decompresses a batch's or a message's payload (loadCompression() first for snappy, lz4, zstd). */
export function decompressPayload(codec: number, data: Buffer): Buffer {
  try {
    if (codec === 0) return data
    if (codec === 1) return gunzipSync(data)
    const algorithm = byBitmask?.[codec]
    if (!algorithm) throw new ProtocolError('UNSUPPORTED_COMPRESSION', `cannot decompress codec ${codec}`)
    return Buffer.from(algorithm.decompressSync(data))
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError('INVALID_VALUE', `a payload compressed with codec ${codec} does not decompress`, { cause: error })
  }
}

/** Compresses a payload (loadCompression() first for snappy, lz4, zstd). */
export function compressPayload(codec: number, data: Buffer): Buffer {
  if (codec === 0) return data
  if (codec === 1) return gzipSync(data)
  const algorithm = byBitmask?.[codec]
  if (!algorithm) throw new ProtocolError('UNSUPPORTED_COMPRESSION', `cannot compress with codec ${codec}`)
  return Buffer.from(algorithm.compressSync(data))
}
