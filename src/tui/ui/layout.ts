/**
 * How the dashboard's rows are shared out for a terminal height. The whole frame stays one row
 * shorter than the terminal: Ink redraws in place only while its output fits. The partitions pane
 * takes what is left after the fixed parts; on 80x24 the groups, transactions, quorum and events
 * panes shrink first.
 */
export interface Layout {
  partitionRows: number
  groupRows: number
  /** Open transactions shown (0 when none: the pane is then its title line). */
  txnRows: number
  /** Quorum voters shown (0 on a short terminal: the pane is then its title line). */
  quorumRows: number
  eventRows: number
}

export function layout(height: number, brokers: number, groups: number, txns = 0, voters = 0): Layout {
  const rows = Math.max(12, height - 1)
  const tall = rows >= 34
  // 80x24 gives the event log 2 rows: the quorum pane's title line took the third.
  const eventRows = tall ? 8 : rows >= 28 ? 5 : 2
  const groupRows = Math.max(1, Math.min(groups, tall ? 4 : 2))
  // On a short terminal the transactions pane is its title (how many open, how many hung).
  const txnRows = Math.min(txns, tall ? 3 : rows >= 28 ? 1 : 0)
  // Likewise the quorum pane: its title says leader, epoch and the largest lag.
  const quorumRows = Math.min(voters, tall ? 5 : rows >= 28 ? 3 : 0)
  // header 1; brokers title+header+rows; partitions title+header; groups title + error line +
  // rows; transactions title + rows; quorum title + rows; events title + rows + last failover;
  // footer 2.
  const fixed = 1 + (2 + brokers) + 2 + (2 + groupRows) + (1 + txnRows) + (1 + quorumRows) + (1 + eventRows + 1) + 2
  return { partitionRows: Math.max(3, rows - fixed), groupRows, txnRows, quorumRows, eventRows }
}
