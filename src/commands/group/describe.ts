import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatDurationMs, formatFields, formatTable } from '../../cli/table.js'
import { withGroupAdmin, type GroupDescription } from '../../client/group-admin.js'
import { resolveCluster } from '../../client/kafka.js'

export default class GroupDescribe extends BaseCommand<typeof GroupDescribe> {
  static override summary = "Show a consumer group's state, members, and per partition its committed offset and lag."
  static override description = `Members: member id, client id, host, and the partitions assigned to each (decoded from the consumer protocol).
Per partition the group has an offset for or is assigned: the committed offset ("-" when none), the end offset (high watermark), the lag in records, and the lag in time: the age of the oldest record not yet consumed (read with a fetch at the committed offset; "-" when nothing is waiting).
Exit codes: 4 when the group does not exist, 3 when the cluster is unreachable.`
  static override examples = [
    '<%= config.bin %> group describe billing',
    '<%= config.bin %> group describe billing --json | jq ".partitions[] | {topic, partition, lag, lagMs}"',
  ]
  static override args = { group: Args.string({ description: 'group id', required: true }) }
  static override flags = { 'bootstrap-server': bootstrapFlag }

  public async run(): Promise<GroupDescription> {
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const d = await withGroupAdmin(target, (a) => a.describe(this.args.group))
    if (!this.jsonEnabled()) {
      this.log(
        formatFields([
          ['group', d.group],
          ['state', d.state],
          ['protocol', d.protocolType ? `${d.protocolType}/${d.protocol || '-'}` : '-'],
          ['members', d.members.length],
          ['lag', d.lag],
        ]),
      )
      if (d.members.length > 0) {
        this.log('')
        this.log(
          formatTable(
            ['member', 'client id', 'host', 'assigned'],
            d.members.map((m) => [m.memberId, m.clientId, m.host, m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-']),
          ),
        )
      }
      if (d.partitions.length > 0) {
        this.log('')
        this.log(
          formatTable(
            ['topic', 'partition', 'committed', 'end', 'lag', 'lag time', 'member'],
            d.partitions.map((p) => [
              p.topic,
              p.partition,
              p.committedOffset ?? '-',
              p.endOffset,
              p.lag,
              p.lagMs === null ? '-' : formatDurationMs(p.lagMs),
              p.memberId ?? '-',
            ]),
          ),
        )
      }
    }
    return d
  }
}
