/** A pane's title line: inverse when the pane has the keyboard focus. */
import { Text } from 'ink'

export function PaneTitle({ title, focused, note }: { title: string; focused?: boolean; note?: string }): React.JSX.Element {
  return (
    <Text wrap="truncate">
      <Text bold inverse={focused === true} color="cyan">
        {focused ? `[${title}]` : ` ${title} `}
      </Text>
      {note ? <Text dimColor>{`  ${note}`}</Text> : null}
    </Text>
  )
}
