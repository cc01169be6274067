import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatTable } from '../../cli/table.js'
import { resolveCluster } from '../../client/kafka.js'
import { parseOffsetSpec } from '../../client/offsets.js'
import { trimTopic, type TrimResult } from '../../client/topic-trim.js'

export default class TopicTrim extends BaseCommand<typeof TopicTrim> {
  static override summary = 'Delete the records before given offsets (DeleteRecords): a dry run unless --execute.'
  static override description = `Moves each partition's log start offset forward to --before (the offsets grammar of consume --from, per partition with P:offset); the records below it are gone for every reader, on every replica. Partitions not named keep their records; an offset below the log start changes nothing.
Without --execute, prints the plan only: per partition the current log start, the new one and how many records go.
Exit codes: 4 when the topic or a partition does not exist or an offset is past a partition's end, 2 for a bad name or offsets, 3 when the cluster is unreachable, 7 when the cluster refuses (e.g. POLICY_VIOLATION on a compacted topic).`
  static override examples = [
    '<%= config.bin %> topic trim orders --before 0:120,1:98',
    '<%= config.bin %> topic trim orders --before @-7d --execute',
    '<%= config.bin %> topic trim orders --before latest --execute --json',
  ]
  static override args = {
    topic: Args.string({ description: 'topic name', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    before: Flags.string({ description: 'the new log start: offsets grammar (N, -N, +N, latest, @time, @-duration), per partition as P:offset', required: true }),
    execute: Flags.boolean({ description: 'delete the records (without it: a dry run that shows the plan)', default: false }),
  }

  public async run(): Promise<TrimResult> {
    const { topic } = this.args
    const spec = parseOffsetSpec(this.flags.before, '--before')
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const result = await trimTopic(target, topic, spec, { execute: this.flags.execute, nowMs: Date.now() })
    if (!this.jsonEnabled()) {
      const rows = result.partitions.map((p) => [p.partition, p.logStartOffset, p.newLogStartOffset, p.records, p.endOffset])
      this.log(formatTable(['PARTITION', 'START', 'NEW START', 'RECORDS', 'END'], rows))
      this.note(
        result.executed
          ? `trimmed topic ${topic}: ${result.records} record(s) deleted`
          : `dry run: ${result.records} record(s) of topic ${topic} would go; add --execute to delete them`,
      )
    }
    return result
  }
}
