/**
 * Flags shared by every command that talks Kafka, defined once so they read the same everywhere.
 */
import { Flags } from '@oclif/core'
import { SluiceError } from '../common/errors.js'
import { DEFAULT_ISOLATION, ISOLATIONS } from '../client/consume/isolation.js'

/** `--bootstrap-server host:port[,host:port]`, else $SLUICE_BOOTSTRAP_SERVER, else the local daemon. */
export const bootstrapFlag = Flags.string({
  description: 'Kafka bootstrap servers, host:port[,host:port...] (default: the local sluice daemon, started on first use)',
  env: 'SLUICE_BOOTSTRAP_SERVER',
  helpValue: 'host:port',
})

/** `--isolation`: what a read sees of transactions (client/consume/isolation.ts); a wrong value is a usage error naming the values. */
export const isolationFlag = Flags.option({
  description: 'read_committed: only committed transactions, up to the last stable offset; read_uncommitted: every record, aborted and open transactions too',
  options: ISOLATIONS,
  default: DEFAULT_ISOLATION,
  helpValue: 'level',
})()

/** `--partition N`, repeatable or a comma list; read with parsePartitions(). */
export const partitionsFlag = Flags.string({
  char: 'p',
  description: 'only these partitions (repeatable, or a comma list: 0,2)',
  multiple: true,
  // One value per -p: kcat users type `consume -p 0 orders`, and a greedy flag would take the topic too.
  multipleNonGreedy: true,
  helpValue: 'N',
})

/** `--from`: where reading starts, in the offsets grammar shared by consume, tail and replay. */
export function fromFlag(defaultValue: 'earliest' | 'latest') {
  return Flags.string({
    description: 'where to start: earliest, latest, N, -N, +N, @<time>, @-<duration>, or per partition 0:120,1:98',
    default: defaultValue,
    helpValue: 'offset',
  })
}

/** `--partition 0 --partition 1,2` -> [0, 1, 2]: the partitions of a repeatable, comma-listed --partition. */
export function parsePartitions(values: string[] | undefined): number[] | undefined {
  if (values === undefined || values.length === 0) return undefined
  const out = new Set<number>()
  for (const item of values.flatMap((v) => v.split(','))) {
    const t = item.trim()
    if (!/^\d+$/.test(t)) throw new SluiceError('USAGE', `--partition "${item}": expected a partition number, or a comma list (0,2)`)
    out.add(Number(t))
  }
  return [...out].sort((a, b) => a - b)
}
