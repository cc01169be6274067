/** The brokers: state, address, partitions led and hosted, connections, requests/s; `*` marks the controller. */
import { Box, Text } from 'ink'
import { cell, controllerText, formatRate, rcell } from '../format.js'
import type { BrokerState, SnapshotBroker } from '../types.js'
import { PaneTitle } from './PaneTitle.js'

export interface BrokerRow {
  broker: SnapshotBroker
  /** Requests answered per second over the last seconds; null until two snapshots. */
  requestsPerSec: number | null
}

export interface BrokersPaneProps {
  rows: BrokerRow[]
  controllerId: number
  selectedId: number | undefined
  focused: boolean
  width: number
}

export const STATE_COLOR: Record<BrokerState, string> = { up: 'green', starting: 'yellow', fenced: 'yellow', paused: 'yellow', killed: 'red', offline: 'red' }

function line(cells: string[]): string {
  return cells.join(' ')
}

export function BrokersPane({ rows, controllerId, selectedId, focused, width }: BrokersPaneProps): React.JSX.Element {
  const header = line(['  ', cell('BROKER', 7), cell('STATE', 7), cell('ADDRESS', 16), rcell('LEADER OF', 9), rcell('REPLICA OF', 10), rcell('CONNS', 5), rcell('REQ/S', 7), rcell('EPOCH', 5)])
  return (
    <Box flexDirection="column" width={width}>
      <PaneTitle title="Brokers" focused={focused} note={`* controller (${controllerText(controllerId, rows.map((r) => r.broker.id))})`} />
      <Text dimColor wrap="truncate">
        {header}
      </Text>
      {rows.map(({ broker: b, requestsPerSec }) => {
        const selected = b.id === selectedId
        // The state in capitals when it is not up: it reads in a plain capture too.
        const state = b.state === 'up' ? 'up' : b.state.toUpperCase()
        const text = line([
          selected ? '> ' : '  ',
          cell(`${b.id}${b.id === controllerId ? '*' : ''}`, 7),
          cell(state, 7),
          cell(`${b.host}:${b.port}`, 16),
          rcell(b.leaderOf, 9),
          rcell(b.replicaOf, 10),
          rcell(b.connections, 5),
          rcell(b.state === 'up' ? formatRate(requestsPerSec) : '-', 7),
          rcell(b.epoch, 5),
        ])
        return (
          <Text key={b.id} wrap="truncate" color={STATE_COLOR[b.state]} inverse={selected && focused} bold={b.state !== 'up'}>
            {text}
          </Text>
        )
      })}
      {rows
        .filter(({ broker: b }) => b.logDirError)
        .map(({ broker: b }) => (
          // Why a broker is offline (a full disk), under the table: the state column has no room.
          <Text key={`logdir-${b.id}`} wrap="truncate" color="red">
            {`  broker ${b.id}: log dir offline: ${b.logDirError}`}
          </Text>
        ))}
    </Box>
  )
}
