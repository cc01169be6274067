/** Records for the tail tests, built without a cluster. */
import type { TailRecord } from '../../src/tui/tail/record.js'

export function rec(partition: number, offset: number, value: string | null, key: string | null = `k${offset}`, headers: [string, string][] = []): TailRecord {
  return {
    topic: 'orders',
    partition,
    offset,
    timestamp: Date.UTC(2026, 10, 20, 10, 0, 0) + offset,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    headers: headers.map(([k, v]) => [k, Buffer.from(v)]),
  }
}
