/**
 * Record-batch compression codecs (gzip, snappy, lz4, zstd), @platformatic/kafka's, loaded only
 * when a compressed batch shows up: importing that library costs a CLI call about half a second
 * of CPU, which a consume of uncompressed records need not pay. Whoever hands record sets to
 * batches.ts loads them first (fetch-api.ts does, when a response holds a compressed batch), and
 * so does whoever compresses (raw-sender.ts, before a compressed send).
 */

export interface CompressionAlgorithm {
  bitmask: number
  compressSync(data: Buffer): Buffer | Uint8Array
  decompressSync(data: Buffer): Buffer | Uint8Array
}

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

let byBitmask: Readonly<Record<number, CompressionAlgorithm | undefined>> | undefined
let byName: Readonly<Record<CompressionName, CompressionAlgorithm>> | undefined

/** Loads the codecs (once). */
export async function loadCompression(): Promise<void> {
  if (byBitmask !== undefined) return
  const lib = await import('@platformatic/kafka')
  byName = lib.compressionsAlgorithms as unknown as Record<CompressionName, CompressionAlgorithm>
  byBitmask = lib.compressionsAlgorithmsByBitmask as unknown as Record<number, CompressionAlgorithm>
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
