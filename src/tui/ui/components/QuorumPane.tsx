/**
 * The controller quorum: leader, epoch, high watermark and the largest lag in the title, then one
 * line per voter (its role, log end, lag behind the leader, last fetch). With no leader the title
 * says metadata is frozen, in red, and the last known voters stay dimmed. Errors show here, never
 * crash the view.
 */
import { Box, Text } from 'ink'
import { cell, formatDuration, rcell } from '../format.js'
import type { QuorumState } from '../types.js'
import { PaneTitle } from './PaneTitle.js'

export interface QuorumPaneProps {
  quorum: QuorumState
  /** How many voter lines fit. */
  rows: number
  width: number
}

export const FROZEN_TEXT = 'METADATA FROZEN: no majority (the controller quorum has no leader: topic, ISR and leader changes wait)'

export function QuorumPane({ quorum, rows, width }: QuorumPaneProps): React.JSX.Element {
  const q = quorum.quorum
  const stale = quorum.frozen || quorum.error !== null
  const shown = (q?.voters ?? []).slice(0, Math.max(0, rows))
  const problem = quorum.frozen ? FROZEN_TEXT : quorum.error
  return (
    <Box flexDirection="column" width={width}>
      {problem !== null ? (
        <Text wrap="truncate">
          <Text bold color="cyan">{' Quorum '}</Text>
          <Text color="red" bold={quorum.frozen}>{`  ${problem}`}</Text>
        </Text>
      ) : (
        <PaneTitle
          title="Quorum"
          note={q === null ? 'loading...' : `leader ${q.leaderId}  epoch ${q.epoch}  high watermark ${q.highWatermark}  max lag ${q.maxFollowerLag}  ${q.voters.length} voter${q.voters.length === 1 ? '' : 's'}`}
        />
      )}
      {shown.map((v) => {
        const fetched = v.status === 'Leader' ? 'leader' : v.fetchedAgoMs === null ? 'no fetch this epoch' : `fetched ${formatDuration(v.fetchedAgoMs)} ago`
        const text = `  voter ${cell(v.id, 4)} ${cell(v.status, 8)} log end ${rcell(v.logEndOffset, 8)}  lag ${rcell(v.lag, 6)}  ${fetched}`
        return (
          <Text key={v.id} wrap="truncate" dimColor={stale} color={!stale && v.lag > 0 ? 'yellow' : undefined}>
            {text}
          </Text>
        )
      })}
    </Box>
  )
}
