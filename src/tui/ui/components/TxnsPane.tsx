/**
 * The open transactions: id, state, how long open (against the timeout), partitions written;
 * hung ones (open longer than their timeout) in red, first. Errors show here, never crash the view.
 */
import { Box, Text } from 'ink'
import { formatDurationMs } from '../../../cli/table.js'
import { cell, rcell } from '../format.js'
import type { TxnsState } from '../types.js'
import { PaneTitle } from './PaneTitle.js'

export interface TxnsPaneProps {
  txns: TxnsState
  /** How many transaction rows fit. */
  rows: number
  width: number
}

export function TxnsPane({ txns, rows, width }: TxnsPaneProps): React.JSX.Element {
  const list = txns.transactions
  const shown = list.slice(0, Math.max(0, rows))
  const more = list.length - shown.length
  const hung = list.filter((t) => t.hung).length
  const note =
    txns.error !== null
      ? null
      : txns.updatedAtMs === null
        ? 'loading...'
        : list.length === 0
          ? 'none open'
          : `${list.length} open${hung > 0 ? `, ${hung} HUNG` : ''}${more > 0 ? ` (${more} not shown)` : ''}`
  return (
    <Box flexDirection="column" width={width}>
      {note !== null ? (
        <PaneTitle title="Transactions" note={note} />
      ) : (
        <Text wrap="truncate">
          <Text bold color="cyan">{' Transactions '}</Text>
          <Text color="red">{`  ${txns.error}${list.length > 0 ? ' (showing the last answer)' : ''}`}</Text>
        </Text>
      )}
      {shown.map((t) => {
        const age = t.ageMs === null ? '-' : formatDurationMs(t.ageMs)
        const text = `  ${cell(t.transactionalId, 24)} ${cell(t.state, 14)} open ${rcell(age, 9)} of ${cell(formatDurationMs(t.timeoutMs), 9)} ${rcell(t.partitions, 3)} partition${t.partitions === 1 ? ' ' : 's'}${t.hung ? '  HUNG' : ''}`
        return (
          <Text key={t.transactionalId} wrap="truncate" dimColor={txns.error !== null} color={t.hung ? 'red' : undefined} bold={t.hung}>
            {text}
          </Text>
        )
      })}
    </Box>
  )
}
