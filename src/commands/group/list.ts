import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatTable } from '../../cli/table.js'
import { withGroupAdmin, type GroupSummary } from '../../client/group-admin.js'
import { resolveCluster } from '../../client/kafka.js'

export default class GroupList extends BaseCommand<typeof GroupList> {
  static override summary = 'List the consumer groups and their states.'
  static override description = `One line per group: its name, its state (Empty, PreparingRebalance, CompletingRebalance, Stable) and its protocol type (consumer for Kafka consumers).
Exit codes: 3 when the cluster is unreachable.`
  static override examples = ['<%= config.bin %> group list', '<%= config.bin %> group list --json | jq -r ".groups[].group"']
  static override flags = { 'bootstrap-server': bootstrapFlag }

  public async run(): Promise<{ groups: GroupSummary[] }> {
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const groups = await withGroupAdmin(target, (a) => a.list())
    if (!this.jsonEnabled()) {
      if (groups.length === 0) this.note('no consumer groups')
      else this.log(formatTable(['group', 'state', 'protocol type'], groups.map((g) => [g.group, g.state, g.protocolType || '-'])))
    }
    return { groups }
  }
}
