import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { usageError } from '../../common/errors.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { parseConfigPairs, withTopicAdmin, type AlterTopicResult } from '../../client/admin.js'
import { resolveCluster } from '../../client/kafka.js'

export default class TopicAlter extends BaseCommand<typeof TopicAlter> {
  static override summary = "Change a topic's configs, or reset them to the cluster's defaults."
  static override description = `Every change is sent in one request (IncrementalAlterConfigs): all apply, or none does. Configs not named are left as they are.
Exit codes: 4 when the topic does not exist, 2 for a bad name, config name or value (with the broker's message) or no change asked, 3 when the cluster is unreachable.`
  static override examples = [
    '<%= config.bin %> topic alter orders --config retention.ms=3600000',
    '<%= config.bin %> topic alter orders --config cleanup.policy=compact --delete-config retention.ms',
    '<%= config.bin %> topic alter orders --delete-config retention.ms --json',
  ]
  static override args = {
    topic: Args.string({ description: 'topic name', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    config: Flags.string({ description: 'set a topic config, name=value (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: 'name=value' }),
    'delete-config': Flags.string({ description: "reset a topic config to the cluster's default (repeatable)", multiple: true, multipleNonGreedy: true, helpValue: 'name' }),
  }

  public async run(): Promise<AlterTopicResult> {
    const { topic } = this.args
    const set = parseConfigPairs(this.flags.config ?? [])
    const reset = [...new Set(this.flags['delete-config'] ?? [])]
    if (set.size === 0 && reset.length === 0) throw usageError('nothing to change: give --config name=value or --delete-config name (see --help)')
    const both = reset.find((name) => set.has(name))
    if (both !== undefined) throw usageError(`${both} is both set (--config) and reset (--delete-config)`)
    if (reset.some((name) => name.trim() === '')) throw usageError('--delete-config needs a config name')
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const result = await withTopicAdmin(target, (admin) => admin.alterTopic(topic, set, reset))
    if (!this.jsonEnabled()) {
      const changes = [...[...set].map(([k, v]) => `${k}=${v}`), ...reset.map((k) => `${k} reset to default`)]
      this.note(`altered topic ${topic}: ${changes.join(', ')}`)
    }
    return result
  }
}
