import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { CREATE_REQUEST_TIMEOUT_MS, parseConfigPairs, withTopicAdmin, type CreateTopicResult } from '../../client/admin.js'
import { resolveCluster } from '../../client/kafka.js'

export default class TopicCreate extends BaseCommand<typeof TopicCreate> {
  static override summary = 'Create a topic.'
  static override description = `Partitions and replication factor default to the cluster's (num.partitions and default.replication.factor; on the local daemon 3 and 3, clamped to the broker count).
Exit codes: 5 when the topic exists (unless --if-not-exists), 2 for a bad name, config name or value, or a partition count over max.topic.partitions (with the broker's message), 3 when the cluster is unreachable, 7 for other refusals by the cluster (e.g. POLICY_VIOLATION: over max.partitions or max.broker.partitions).`
  static override examples = [
    '<%= config.bin %> topic create orders',
    '<%= config.bin %> topic create orders --partitions 6 --replication-factor 3',
    '<%= config.bin %> topic create audit --config retention.ms=86400000 --config cleanup.policy=delete',
    '<%= config.bin %> topic create orders --if-not-exists --json',
  ]
  static override args = {
    topic: Args.string({ description: 'topic name: 1-249 of ASCII letters, digits, ".", "_", "-"', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    partitions: Flags.integer({ description: "number of partitions [default: the cluster's num.partitions]", min: 1 }),
    'replication-factor': Flags.integer({ description: "copies of each partition [default: the cluster's default.replication.factor]", min: 1 }),
    config: Flags.string({ description: 'a topic config, name=value (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: 'name=value' }),
    'if-not-exists': Flags.boolean({ description: 'an existing topic is not an error (exit 0, "created": false); it is not changed', default: false }),
  }

  public async run(): Promise<CreateTopicResult> {
    const { topic } = this.args
    const configs = parseConfigPairs(this.flags.config ?? [])
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const result = await withTopicAdmin(target, (admin) =>
      admin.createTopic({
        topic,
        partitions: this.flags.partitions,
        replicationFactor: this.flags['replication-factor'],
        configs,
        ifNotExists: this.flags['if-not-exists'],
      }),
      { requestTimeoutMs: CREATE_REQUEST_TIMEOUT_MS },
    )
    if (!this.jsonEnabled()) {
      const shape = `${result.partitionCount} partition(s), replication factor ${result.replicationFactor}`
      this.note(result.created ? `created topic ${topic}: ${shape}` : `topic ${topic} already exists: ${shape}`)
    }
    return result
  }
}
