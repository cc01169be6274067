/**
 * The final audit, once every replica has caught up: the leader's log of each partition, decoded.
 * - batches are contiguous from the log start (the first may begin below it) to the LEO, each at
 *   the offset it says, CRC valid;
 * - no record value appears twice (the plain workload never retries; the idempotent producer
 *   retries, and the brokers must recognise its retries);
 * - nothing refused with NOT_ENOUGH_REPLICAS (refused before appending) is in the log;
 * - every acknowledged idempotent batch is at the offsets its acknowledgement gave (unless an
 *   unclean election may have lost it, or it lies below the log start: deleted on purpose).
 * (Replicas are compared with the leader byte for byte by Invariants.checkReplicasIdentical.)
 */
import { decodeRecordBatch } from '../../src/protocol/record-batch.js'
import type { SimNode } from './sim-node.js'
import { idempotentValue, type IdempotentProducers } from './idempotent.js'
import type { Workload } from './workload.js'

export function auditLogs(
  sim: SimNode,
  topicName: string,
  workload: Workload,
  idempotent: IdempotentProducers,
  uncleanAllowed: boolean,
  fail: (message: string) => void,
): void {
  for (const p of sim.image.topicsByName.get(topicName)?.partitions ?? []) {
    const sp = sim.stored(p.leader, p.topicId, p.partition)
    if (!sp) return fail(`partition ${p.partition}'s leader ${p.leader} has no log`)
    const where = `the log of partition ${p.partition} on its leader ${p.leader}`
    const offsetOf = new Map<string, number>()
    const start = sp.state.logStartOffset
    // The first batch may begin below the log start (DeleteRecords keeps a batch across it whole).
    let expected = sp.batches.size === 0 ? start : Math.min(start, sp.batches.keys().next().value!)
    for (const [base, b] of sp.batches) {
      if (base !== expected) return fail(`${where} has a batch at ${base} where ${expected} was expected`)
      if (b.lastOffset < start) return fail(`${where} keeps batch ${base}..${b.lastOffset}, wholly below its log start ${start}`)
      let decoded: ReturnType<typeof decodeRecordBatch>
      try {
        decoded = decodeRecordBatch(b.bytes)
      } catch (error) {
        return fail(`${where} has a batch at ${base} that does not decode: ${String(error)}`)
      }
      if (decoded.header.baseOffset !== base) return fail(`${where} keeps at ${base} a batch stamped ${decoded.header.baseOffset}`)
      // Transaction markers hold no value of the workload (and repeat theirs).
      for (const rec of decoded.header.isControl ? [] : decoded.records) {
        const value = rec.value?.toString() ?? ''
        const before = offsetOf.get(value)
        if (before !== undefined) return fail(`${where} holds record ${value} twice, at ${before} and at ${rec.offset}`)
        offsetOf.set(value, rec.offset)
      }
      expected = b.lastOffset + 1
    }
    if (expected !== sp.state.logEndOffset) return fail(`${where} ends its batches at ${expected}, its LEO is ${sp.state.logEndOffset}`)
    for (const value of workload.refused[p.partition]!) {
      if (offsetOf.has(value)) return fail(`${where} holds ${value} at ${offsetOf.get(value)}, refused with NOT_ENOUGH_REPLICAS (nothing appended)`)
    }
    if (uncleanAllowed) continue
    for (const a of idempotent.acked) {
      if (a.partition !== p.partition) continue
      for (let i = 0; i < a.count; i++) {
        const value = idempotentValue(a.partition, a.producerId, a.firstSeq + i)
        // Deleted on purpose (deletions.ts checks that the log start went no further than asked).
        if (a.baseOffset + i < start) continue
        const at = offsetOf.get(value)
        if (at !== a.baseOffset + i) {
          return fail(`idempotent record ${value} was acknowledged at ${a.baseOffset + i} (attempt ${a.attempts}), ${where} has it ${at === undefined ? 'nowhere' : `at ${at}`}`)
        }
      }
    }
  }
}
