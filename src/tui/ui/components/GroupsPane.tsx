/** The consumer groups: state, members, total lag and lag per topic. Errors show here, never crash the view. */
import { Box, Text } from 'ink'
import { cell, rcell } from '../format.js'
import type { GroupsState } from '../types.js'
import { PaneTitle } from './PaneTitle.js'

export interface GroupsPaneProps {
  groups: GroupsState
  /** How many group rows fit. */
  rows: number
  width: number
}

export function GroupsPane({ groups, rows, width }: GroupsPaneProps): React.JSX.Element {
  const list = groups.groups
  const shown = list.slice(0, Math.max(0, rows))
  const more = list.length - shown.length
  const note = groups.updatedAtMs === null && groups.error === null ? 'loading...' : `${list.length} group${list.length === 1 ? '' : 's'}${more > 0 ? ` (${more} not shown)` : ''}`
  return (
    <Box flexDirection="column" width={width}>
      <PaneTitle title="Groups" note={note} />
      {groups.error !== null ? (
        <Text color="red" wrap="truncate">
          {`  groups: ${groups.error}${list.length > 0 ? ' (showing the last answer)' : ''}`}
        </Text>
      ) : null}
      {list.length === 0 && groups.error === null && groups.updatedAtMs !== null ? <Text dimColor>  no consumer groups</Text> : null}
      {shown.map((g) => {
        const perTopic = g.topics.length > 1 || (g.topics.length === 1 && g.topics[0]!.lag !== g.lag) ? `  (${g.topics.map((t) => `${t.topic} ${t.lag}`).join(', ')})` : g.topics.length === 1 ? `  (${g.topics[0]!.topic})` : ''
        const text = `  ${cell(g.group, 24)} ${cell(g.state, 19)} ${rcell(g.members, 3)} member${g.members === 1 ? ' ' : 's'}  lag ${g.lag === null ? '?' : g.lag}${g.stale === true ? '  STALE' : ''}${perTopic}`
        return (
          <Text key={g.group} wrap="truncate" dimColor={g.stale === true} color={g.lag !== null && g.lag > 0 ? 'yellow' : undefined}>
            {text}
          </Text>
        )
      })}
    </Box>
  )
}
