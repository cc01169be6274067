/** The cluster's events, newest at the bottom, and the last failover's measured outage. */
import { Box, Text } from 'ink'
import { formatClock } from '../format.js'
import { failoverLine } from '../model.js'
import type { FailoverMeasured, UiEvent } from '../types.js'
import { PaneTitle } from './PaneTitle.js'

export interface EventLogProps {
  events: UiEvent[]
  rows: number
  lastFailover: FailoverMeasured | null
  width: number
  /** Events about internal topics left out (while they are folded). */
  hidden?: number
}

function eventColor(type: string): string | undefined {
  if (type === 'broker.killed' || type === 'broker.fenced' || type === 'isr.shrunk' || type.startsWith('fault.')) return 'yellow'
  if (type === 'leader.changed' || type === 'failover.measured') return 'cyan'
  if (type === 'broker.started' || type === 'broker.unfenced' || type === 'broker.resumed' || type === 'isr.expanded') return 'green'
  // Transactions: a commit is routine; an abort, a timeout or a fenced producer is worth a look.
  if (type === 'txn.aborted' || type === 'txn.timed-out') return 'yellow'
  if (type === 'txn.fenced') return 'magenta'
  // The controller quorum: metadata frozen stops every metadata change, the loudest of these.
  if (type === 'quorum.frozen') return 'red'
  if (type === 'quorum.voter.down') return 'yellow'
  if (type === 'quorum.leader') return 'cyan'
  if (type === 'quorum.voter.up' || type === 'quorum.recovered') return 'green'
  return undefined
}

export function EventLog({ events, rows, lastFailover, width, hidden = 0 }: EventLogProps): React.JSX.Element {
  const shown = events.slice(-Math.max(0, rows))
  return (
    <Box flexDirection="column" width={width}>
      <PaneTitle title="Events" note={`newest at the bottom${hidden > 0 ? `; ${hidden} about internal topics hidden (i shows them)` : ''}`} />
      {shown.length === 0 ? <Text dimColor>  no events yet</Text> : null}
      {shown.map((e, i) => {
        const unclean = e.unclean === true
        return (
          <Text key={`${events.length - shown.length + i}`} wrap="truncate" color={unclean ? 'red' : eventColor(e.type)}>
            {`  ${formatClock(e.timestamp)}  ${e.message}`}
          </Text>
        )
      })}
      <Text wrap="truncate" bold={lastFailover !== null}>
        {`  last failover: ${lastFailover === null ? 'none yet' : failoverLine(lastFailover)}`}
      </Text>
    </Box>
  )
}
