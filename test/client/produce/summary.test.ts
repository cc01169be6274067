import { describe, expect, it } from 'vitest'
import { formatSummary, type ProduceSummary } from '../../../src/client/produce/summary.js'

const base: ProduceSummary = {
  topic: 'payments',
  records: 35,
  bytes: 420,
  partitions: { '0': 12, '1': 11, '2': 12 },
  seconds: 0.12,
  recordsPerSecond: 291,
  skipped: 0,
  acks: 'all',
  lastLine: 35,
  interrupted: false,
}

describe('client/produce/summary', () => {
  it('says how many transactions committed, and the aborted one', () => {
    expect(formatSummary(base)).not.toMatch(/transaction/)
    const committed = { ...base, transactions: { transactionalId: 'import', committed: 4, committedRecords: 35, aborted: false, abortedRecords: 0 } }
    expect(formatSummary(committed)).toMatch(/; 4 transactions committed \(35 records, transactional id import\)$/)
    const aborted = { ...base, transactions: { transactionalId: 'import', committed: 1, committedRecords: 10, aborted: true, abortedRecords: 5 } }
    expect(formatSummary(aborted)).toMatch(/; 1 transaction committed \(10 records, transactional id import\), the open one aborted \(5 records\)$/)
  })
})
