/**
 * Kafka's primitive types: a bounds-checked Reader (reader.ts) and a chunked Writer (writer.ts).
 */
export { ProtocolError } from './errors.js'
export { Reader } from './reader.js'
export { Writer, type Int32Slot, concatChunks, chunksLength } from './writer.js'

/** The nil UUID, as Reader.uuid() returns it. */
export const ZERO_UUID = '0'.repeat(32)
