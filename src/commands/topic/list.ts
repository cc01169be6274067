import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatTable } from '../../cli/table.js'
import { resolveCluster } from '../../client/kafka.js'
import { listTopics } from '../../client/topic-list.js'
import type { TopicSummary } from '../../client/topic-model.js'

export interface TopicListOutput {
  topics: TopicSummary[]
}

export default class TopicList extends BaseCommand<typeof TopicList> {
  static override summary = 'List the topics, with their partition counts and replication factors.'
  static override description = `Sorted by name. Internal topics (such as __consumer_offsets) only with --internal.
Exit codes: 3 when the cluster is unreachable.`
  static override examples = [
    '<%= config.bin %> topic list',
    '<%= config.bin %> topic list --json | jq -r ".topics[].topic"',
    '<%= config.bin %> topic list --bootstrap-server kafka-1:9092',
  ]
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    internal: Flags.boolean({ description: 'include internal topics', default: false }),
  }

  public async run(): Promise<TopicListOutput> {
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const topics = await listTopics(target, { internal: this.flags.internal })
    if (!this.jsonEnabled()) {
      if (topics.length === 0) this.note('no topics')
      else
        this.log(
          formatTable(
            ['topic', 'partitions', 'replication'],
            topics.map((t) => [t.internal ? `${t.topic} (internal)` : t.topic, t.partitionCount, t.replicationFactor]),
          ),
        )
    }
    return { topics }
  }
}
