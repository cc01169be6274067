/**
 * The protocol layer: bytes <-> typed Kafka messages. No I/O, no cluster logic.
 * Message schemas and their types live in ./messages/NN-name.ts (import them directly).
 */
export * from './errors.js'
export * from './primitives.js'
export * from './schema.js'
export * from './codec.js'
export * from './api-keys.js'
export * from './apis.js'
export * from './frame.js'
export * from './batch-layout.js'
export * from './produce-validation.js'
export * from './record-batch.js'
