/**
 * The whole `sluice ui` view: header, brokers, partitions, groups, open transactions, the controller
 * quorum, event log, footer; and the
 * keys. It takes the cluster's data as props and an injected `runAction`, so tests drive it with
 * fixtures and a fake; the hooks that feed it live in App.tsx.
 */
import { Box, Text, useInput, useStdout } from 'ink'
import { useReducer, useRef } from 'react'
import { controllerText, formatClock } from './format.js'
import { layout } from './layout.js'
import { handleKey, initialUiState, resolveSelection, type UiData, type UiState } from './keys.js'
import {
  actionLabel,
  confirmText,
  currentRate,
  hwmCounter,
  lastFailover,
  downBrokers,
  partitionHealth,
  rateSeries,
  requestsCounter,
  scrollStart,
  sparkline,
  visibleEvents,
  type Sample,
} from './model.js'
import { BrokersPane, type BrokerRow } from './components/BrokersPane.js'
import { EventLog } from './components/EventLog.js'
import { Footer } from './components/Footer.js'
import { GroupsPane } from './components/GroupsPane.js'
import { TxnsPane } from './components/TxnsPane.js'
import { QuorumPane } from './components/QuorumPane.js'
import { partitionColumns, PartitionsPane, type PartitionLine } from './components/PartitionsPane.js'
import type { ClusterSnapshot, ConnectionState, GroupsState, QuorumState, RunAction, TxnsState, UiEvent } from './types.js'

export interface DashboardProps {
  snapshot: ClusterSnapshot | undefined
  history: readonly Sample[]
  events: readonly UiEvent[]
  groups: GroupsState
  /** Open transactions (none before the first answer). */
  txns?: TxnsState
  /** The controller quorum (loading before the first answer). */
  quorum?: QuorumState
  connection: ConnectionState
  /** Shown in the header (which home's daemon this is). */
  home?: string
  runAction: RunAction
  /** `q`: 0; Ctrl-C: 130. */
  onExit: (code: number) => void
  width?: number
  height?: number
}

const NO_TXNS: TxnsState = { transactions: [], error: null, updatedAtMs: null }
const NO_QUORUM: QuorumState = { quorum: null, frozen: false, error: null, updatedAtMs: null }

export function Dashboard(props: DashboardProps): React.JSX.Element {
  const { snapshot, history, events, groups, connection, runAction, onExit } = props
  const { stdout } = useStdout()
  const width = props.width ?? stdout.columns ?? 120
  const height = props.height ?? stdout.rows ?? 40

  // The keys' state lives in a ref and is stepped by handleKey, so two keys within one frame
  // both see the latest state; `bump` redraws.
  const ui = useRef<UiState>(initialUiState)
  const [, bump] = useReducer((n: number) => n + 1, 0)
  const data = useRef<UiData>({ brokers: [], partitions: [] })
  data.current = { brokers: snapshot?.brokers ?? [], partitions: snapshot?.partitions ?? [] }
  const setUi = (next: UiState): void => {
    ui.current = next
    bump()
  }

  useInput((input, key) => {
    const { state, effect } = handleKey(ui.current, input, key, data.current)
    if (state !== ui.current) setUi(state)
    if (effect === undefined) return
    if ('exit' in effect) return onExit(effect.exit)
    const action = effect.run
    runAction(action).then(
      (text) => setUi({ ...ui.current, status: { kind: 'done', text } }),
      (err: unknown) => setUi({ ...ui.current, status: { kind: 'failed', text: `${actionLabel(action)}: ${err instanceof Error ? err.message : String(err)}` } }),
    )
  })

  const { focus, showInternal, pending, status } = ui.current
  const { brokers, rows, broker: selBroker, row: selRow } = resolveSelection(ui.current, data.current)

  const txns = props.txns ?? NO_TXNS
  const quorum = props.quorum ?? NO_QUORUM
  const lay = layout(height, brokers.length, groups.groups.length, txns.transactions.length, quorum.quorum?.voters.length ?? 0)
  const brokerRows: BrokerRow[] = brokers.map((b) => ({ broker: b, requestsPerSec: currentRate(history, requestsCounter(b.id)) }))

  // Only the rows on screen get rates and sparklines computed.
  const fits = rows.length > lay.partitionRows ? lay.partitionRows - 1 : lay.partitionRows
  const selIndex = selRow ? rows.indexOf(selRow) : 0
  const start = scrollStart(rows.length, selIndex, fits)
  const onScreen = rows.slice(start, start + fits)
  // Rows the partitions do not need go to the event log.
  const spareRows = Math.max(0, fits - Math.max(1, rows.length))
  const longest = Math.max(0, ...onScreen.map((r) => (r.kind === 'partition' ? r.key.length : 0)))
  const sparkWidth = partitionColumns(width, longest).spark
  const series = onScreen.map((r) => (r.kind === 'partition' && sparkWidth > 0 ? rateSeries(history, hwmCounter(r.key), sparkWidth) : []))
  // One scale for every visible sparkline, so partitions compare at a glance.
  const sparkMax = Math.max(0, ...series.flat().map((v) => v ?? 0))
  const lines: PartitionLine[] = onScreen.map((row, i) => ({
    row,
    recordsPerSec: row.kind === 'partition' && row.partition.leader >= 0 ? currentRate(history, hwmCounter(row.key)) : null,
    spark: sparkline(series[i]!, sparkMax),
  }))
  const all = snapshot?.partitions ?? []
  const shownEvents = visibleEvents(events, all, showInternal)
  const down = downBrokers(snapshot?.brokers)
  const counts = {
    total: all.length,
    offline: all.filter((p) => partitionHealth(p) === 'offline').length,
    leaderDown: all.filter((p) => partitionHealth(p, down) === 'leader-down').length,
    stuck: all.filter((p) => partitionHealth(p, down) === 'replica-stuck').length,
    underReplicated: all.filter((p) => partitionHealth(p, down) === 'under-replicated').length,
  }

  return (
    <Box flexDirection="column" width={width}>
      <Header snapshot={snapshot} connection={connection} home={props.home} />
      {snapshot === undefined ? (
        <Text dimColor>waiting for the first snapshot of the cluster...</Text>
      ) : (
        <>
          <BrokersPane rows={brokerRows} controllerId={snapshot.controllerId} selectedId={selBroker?.id} focused={focus === 'brokers'} width={width} />
          <PartitionsPane
            lines={lines}
            selectedKey={selRow?.key}
            focused={focus === 'partitions'}
            width={width}
            showInternal={showInternal}
            counts={counts}
            down={down}
            scroll={rows.length > fits ? { from: start + 1, to: Math.min(rows.length, start + fits), of: rows.length } : undefined}
          />
        </>
      )}
      <GroupsPane groups={groups} rows={lay.groupRows} width={width} />
      <TxnsPane txns={txns} rows={lay.txnRows} width={width} />
      <QuorumPane quorum={quorum} rows={lay.quorumRows} width={width} />
      <EventLog events={shownEvents.events} hidden={shownEvents.hidden} rows={lay.eventRows + spareRows} lastFailover={lastFailover(snapshot, events)} width={width} />
      <Footer confirm={pending === null ? null : confirmText(pending)} status={status} width={width} />
    </Box>
  )
}

function Header(props: { snapshot: ClusterSnapshot | undefined; connection: ConnectionState; home?: string }): React.JSX.Element {
  const { snapshot, connection } = props
  const states = new Map<string, number>()
  for (const b of snapshot?.brokers ?? []) states.set(b.state, (states.get(b.state) ?? 0) + 1)
  const brokerText = [...states].map(([s, n]) => `${n} ${s}`).join(', ')
  const conn =
    connection.kind === 'connected'
      ? { text: 'daemon: connected', color: 'green' }
      : connection.kind === 'connecting'
        ? { text: 'daemon: connecting...', color: 'yellow' }
        : { text: `DAEMON LOST since ${formatClock(connection.sinceMs)} (${connection.error}); showing the last data, reconnecting...`, color: 'red' }
  return (
    <Text wrap="truncate">
      <Text bold>sluice ui</Text>
      <Text color={conn.color} bold={connection.kind === 'lost'}>{`  ${conn.text}`}</Text>
      {snapshot ? <Text>{`  controller: ${controllerText(snapshot.controllerId, snapshot.brokers.map((b) => b.id))}  brokers: ${brokerText}  at ${formatClock(snapshot.timeMs)}`}</Text> : null}
      {props.home ? <Text dimColor>{`  home ${props.home}`}</Text> : null}
    </Text>
  )
}
