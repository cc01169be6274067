/** The keys, and either the confirmation being asked or the result of the last action. */
import { Box, Text } from 'ink'

export type ActionStatus =
  | { kind: 'idle' }
  | { kind: 'running'; text: string }
  | { kind: 'done'; text: string }
  | { kind: 'refused'; text: string }
  | { kind: 'failed'; text: string }

export interface FooterProps {
  /** The question of a pending confirmation; the status line shows otherwise. */
  confirm: string | null
  status: ActionStatus
  width: number
}

export const KEYS_HELP = 'tab: brokers/partitions  up/down: select  k: kill  s: start  p: pause/resume  f: failover  i: internal topics  q: quit'
const KEYS_HELP_SHORT = 'tab focus  up/down select  k kill  s start  p pause/resume  f failover  i internal  q quit'

export function Footer({ confirm, status, width }: FooterProps): React.JSX.Element {
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor wrap="truncate">
        {width >= 118 ? KEYS_HELP : KEYS_HELP_SHORT}
      </Text>
      {confirm !== null ? (
        <Text wrap="truncate" bold color="magenta">
          {`${confirm}  [y/enter: yes, n/esc: no]`}
        </Text>
      ) : (
        <StatusLine status={status} />
      )}
    </Box>
  )
}

function StatusLine({ status }: { status: ActionStatus }): React.JSX.Element {
  switch (status.kind) {
    case 'idle':
      return <Text dimColor>no action yet</Text>
    case 'running':
      return <Text wrap="truncate" color="cyan">{`running: ${status.text}...`}</Text>
    case 'done':
      return <Text wrap="truncate" color="green">{`done: ${status.text}`}</Text>
    case 'refused':
      return <Text wrap="truncate" color="yellow">{`nothing to do: ${status.text}`}</Text>
    case 'failed':
      return <Text wrap="truncate" color="red">{`error: ${status.text}`}</Text>
  }
}
