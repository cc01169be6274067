import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { withTopicAdmin, type DeleteTopicResult } from '../../client/admin.js'
import { resolveCluster } from '../../client/kafka.js'

export default class TopicDelete extends BaseCommand<typeof TopicDelete> {
  static override summary = 'Delete a topic and all its records.'
  static override description = `There is no undo and no confirmation prompt: scripts call it.
Exit codes: 4 when the topic does not exist (unless --if-exists), 2 for a bad name, 3 when the cluster is unreachable.`
  static override examples = [
    '<%= config.bin %> topic delete orders',
    '<%= config.bin %> topic delete orders --if-exists --json',
  ]
  static override args = {
    topic: Args.string({ description: 'topic name', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    'if-exists': Flags.boolean({ description: 'a missing topic is not an error (exit 0, "deleted": false)', default: false }),
  }

  public async run(): Promise<DeleteTopicResult> {
    const { topic } = this.args
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const result = await withTopicAdmin(target, (admin) => admin.deleteTopic(topic, { ifExists: this.flags['if-exists'] }))
    if (!this.jsonEnabled()) this.note(result.deleted ? `deleted topic ${topic}` : `topic ${topic} does not exist`)
    return result
  }
}
