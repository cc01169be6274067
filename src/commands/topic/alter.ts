import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { usageError } from '../../common/errors.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { parseConfigPairs, withTopicAdmin, type AlterTopicResult } from '../../client/admin.js'
import { resolveCluster } from '../../client/kafka.js'

export default class TopicAlter extends BaseCommand<typeof TopicAlter> {
  static override summary = "Change a topic's configs or reset them to the cluster's defaults, or add partitions."
  static override description = `Every config change is sent in one request (IncrementalAlterConfigs): all apply, or none does. Configs not named are left as they are.
--partitions N grows the topic to N partitions (CreatePartitions), placed by the cluster as a new topic's are; partitions cannot be removed. Records with a key may map to another partition from then on. Consumers in a group see the new partitions when they next refresh their metadata; consume without --group reads the partitions it found at its start.
Exit codes: 4 when the topic does not exist, 2 for a bad name, config name or value (with the broker's message), a partition count not larger than the topic's, or no change asked, 3 when the cluster is unreachable.`
  static override examples = [
    '<%= config.bin %> topic alter orders --config retention.ms=3600000',
    '<%= config.bin %> topic alter orders --config cleanup.policy=compact --delete-config retention.ms',
    '<%= config.bin %> topic alter orders --delete-config retention.ms --json',
    '<%= config.bin %> topic alter orders --partitions 6',
  ]
  static override args = {
    topic: Args.string({ description: 'topic name', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    config: Flags.string({ description: 'set a topic config, name=value (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: 'name=value' }),
    'delete-config': Flags.string({ description: "reset a topic config to the cluster's default (repeatable)", multiple: true, multipleNonGreedy: true, helpValue: 'name' }),
    partitions: Flags.integer({ description: 'grow the topic to this many partitions (more than it has)', min: 1, helpValue: 'N' }),
  }

  public async run(): Promise<AlterTopicResult> {
    const { topic } = this.args
    const set = parseConfigPairs(this.flags.config ?? [])
    const reset = [...new Set(this.flags['delete-config'] ?? [])]
    const { partitions } = this.flags
    if (set.size === 0 && reset.length === 0 && partitions === undefined) {
      throw usageError('nothing to change: give --config name=value, --delete-config name or --partitions N (see --help)')
    }
    const both = reset.find((name) => set.has(name))
    if (both !== undefined) throw usageError(`${both} is both set (--config) and reset (--delete-config)`)
    if (reset.some((name) => name.trim() === '')) throw usageError('--delete-config needs a config name')
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const result = await withTopicAdmin(target, (admin) => admin.alterTopic(topic, set, reset, partitions))
    if (!this.jsonEnabled()) {
      const changes = [...[...set].map(([k, v]) => `${k}=${v}`), ...reset.map((k) => `${k} reset to default`)]
      if (result.partitions) changes.push(`partitions ${result.partitions.from} -> ${result.partitions.to}`)
      this.note(`altered topic ${topic}: ${changes.join(', ')}`)
    }
    return result
  }
}
