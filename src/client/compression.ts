/**
 * Record-batch compression codecs (gzip, snappy, lz4, zstd), @platformatic/kafka's, loaded only
 * when a compressed batch shows up: importing that library costs a CLI call about half a second
 * of CPU, which a consume of uncompressed records need not pay. Whoever hands record sets to
 * batches.ts loads them first (fetch-api.ts does, when a response holds a compressed batch).
 */

export interface CompressionAlgorithm {
  decompressSync(data: Buffer): Buffer | Uint8Array
}

let byBitmask: Readonly<Record<number, CompressionAlgorithm | undefined>> | undefined

/** Loads the codecs (once). */
export async function loadCompression(): Promise<void> {
  if (byBitmask !== undefined) return
  const lib = await import('@platformatic/kafka')
  byBitmask = lib.compressionsAlgorithmsByBitmask as unknown as Record<number, CompressionAlgorithm>
}

/** The codec of a batch's compression bits; undefined for an unknown one. */
export function compressionByBitmask(codec: number): CompressionAlgorithm | undefined {
  if (byBitmask === undefined) throw new Error('compression codecs used before loadCompression()')
  return byBitmask[codec]
}
