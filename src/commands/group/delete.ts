import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { withGroupAdmin } from '../../client/group-admin.js'
import { resolveCluster } from '../../client/kafka.js'

export default class GroupDelete extends BaseCommand<typeof GroupDelete> {
  static override summary = 'Delete a consumer group and its committed offsets.'
  static override description = `Only a group without active members can be deleted (Kafka's rule): stop its consumers first.
Exit codes: 4 when the group does not exist, 5 while it has active members, 3 when the cluster is unreachable.`
  static override examples = ['<%= config.bin %> group delete billing']
  static override args = { group: Args.string({ description: 'group id', required: true }) }
  static override flags = { 'bootstrap-server': bootstrapFlag }

  public async run(): Promise<{ group: string; deleted: boolean }> {
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    await withGroupAdmin(target, (a) => a.delete(this.args.group))
    // As topic delete: a note on stderr (stdout carries only data, --json the result).
    if (!this.jsonEnabled()) this.note(`deleted group ${this.args.group}`)
    return { group: this.args.group, deleted: true }
  }
}
