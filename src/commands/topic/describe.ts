import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatFields, formatTable } from '../../cli/table.js'
import { withTopicAdmin, type TopicDescription } from '../../client/admin.js'
import { resolveCluster } from '../../client/kafka.js'

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** 1536 -> "1.5 KiB"; null (unknown) -> "-". */
function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`
}

const orDash = (v: number | null): string | number => (v === null ? '-' : v)

export default class TopicDescribe extends BaseCommand<typeof TopicDescribe> {
  static override summary = "Show a topic's partitions (leader, replicas, ISR, offsets, size) and its non-default configs."
  static override description = `Per partition: the leader (-1 when offline), the replicas, the in-sync replicas, the log start offset, the end offset (the high watermark: consumers read up to it) and the size of the leader's log. Configs: those that differ from the cluster's defaults.
Offsets and sizes come from each partition's leader (ListOffsets, DescribeLogDirs); what a leader cannot tell shows as "-" (null in --json), with a note on stderr.
Exit codes: 4 when the topic does not exist, 2 for a bad name, 3 when the cluster is unreachable.`
  static override examples = [
    '<%= config.bin %> topic describe orders',
    '<%= config.bin %> topic describe orders --json | jq ".partitions[] | {partition, endOffset}"',
  ]
  static override args = {
    topic: Args.string({ description: 'topic name', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<TopicDescription> {
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const { description: d, warnings } = await withTopicAdmin(target, (admin) => admin.describeTopic(this.args.topic))
    for (const w of warnings) this.note(w)
    if (!this.jsonEnabled()) {
      const configs = Object.entries(d.configs).map(([k, v]) => `${k}=${v ?? '(sensitive)'}`)
      this.log(
        formatFields([
          ['topic', d.internal ? `${d.topic} (internal)` : d.topic],
          ['id', d.topicId ?? '-'],
          ['partitions', d.partitionCount],
          ['replication', d.replicationFactor],
          ['size', formatBytes(d.sizeBytes)],
          ['configs', configs.length > 0 ? configs.join(', ') : '(defaults)'],
          ...brokerDefaultRows(d.brokerDefaults, target.local),
        ]),
      )
      this.log('')
      this.log(
        formatTable(
          ['partition', 'leader', 'replicas', 'isr', 'start', 'end', 'size'],
          d.partitions.map((p) => [
            p.partition,
            p.leader,
            p.replicas.join(','),
            p.isr.join(','),
            orDash(p.logStartOffset),
            orDash(p.endOffset),
            formatBytes(p.sizeBytes),
          ]),
        ),
      )
    }
    return d
  }
}

/**
 * One row per config whose value comes from the brokers' static configs: on the local daemon those
 * are sluice's own defaults ("min.insync.replicas 2 (sluice default; Kafka: 1)"), elsewhere the
 * cluster's server.properties.
 */
function brokerDefaultRows(defaults: TopicDescription['brokerDefaults'], local: boolean): [string, string][] {
  const what = local ? 'sluice default' : 'broker default'
  return Object.entries(defaults).map(([name, d], i) => [i === 0 ? 'defaults' : '', `${name} ${d.value ?? '-'} (${what}; Kafka: ${d.kafka ?? 'none'})`])
}
