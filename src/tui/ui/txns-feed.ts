/**
 * Open transactions for the dashboard, through Kafka like `sluice txn list --state ...`: every
 * TXNS_REFRESH_MS in a RefreshLoop, the transactions not yet ended (Ongoing or completing), with
 * their age and partitions, hung ones marked. An error is kept for the pane with the last answer
 * (shown dimmed). Each refresh has a client of its own (a connection per broker every 2 s, on
 * one machine), so none stays stuck on a broker that a failover took away.
 */
import type { ClusterTarget } from '../../client/kafka.js'
import { OPEN_TXN_STATES, partitionCount, withTxnAdmin, type TransactionInfo } from '../../client/txn-admin.js'
import { PolledFeed } from './polled-feed.js'
import type { TxnRow, TxnsState } from './types.js'

export const TXNS_REFRESH_MS = 2_000

/** Where the feed reads the open transactions (a fake in tests). */
export type TxnSource = () => Promise<TransactionInfo[]>

export function kafkaTxnSource(target: ClusterTarget): TxnSource {
  return () => withTxnAdmin(target, (a) => a.list({ states: [...OPEN_TXN_STATES] }))
}

export function txnRow(t: TransactionInfo): TxnRow {
  return { transactionalId: t.transactionalId, state: t.state, ageMs: t.ageMs, timeoutMs: t.timeoutMs, partitions: partitionCount(t), hung: t.hung }
}

export class TxnsFeed extends PolledFeed<TxnsState> {
  constructor(private readonly source: TxnSource) {
    super({ transactions: [], error: null, updatedAtMs: null }, TXNS_REFRESH_MS)
  }

  async refresh(): Promise<void> {
    try {
      const list = await this.source()
      if (this.loop.stopped) return
      // Hung first, then the oldest: what holds consumers back longest is on top.
      const rows = list.map(txnRow).sort((a, b) => Number(b.hung) - Number(a.hung) || (b.ageMs ?? 0) - (a.ageMs ?? 0) || a.transactionalId.localeCompare(b.transactionalId))
      this.set({ transactions: rows, error: null, updatedAtMs: Date.now() })
    } catch (err) {
      if (this.loop.stopped) return
      this.set({ ...this.state, error: err instanceof Error ? err.message : String(err) })
    }
  }

}
