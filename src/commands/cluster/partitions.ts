import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { SluiceError } from '../../common/errors.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster, partitionNames } from '../../client/local.js'
import { partitionTable } from '../../cli/cluster-views.js'
import type { ClusterPartitionsResult, PartitionState } from '../../common/control-contract.js'

export default class ClusterPartitions extends BaseCommand<typeof ClusterPartitions> {
  static override summary = "Every partition's leader, leader epoch, replicas and in-sync replicas, as the controller sees them."
  static override description = `The controller's view, straight from the metadata log (no Kafka request): handy during a drill to see where leadership went. Leader "none" (-1 in --json) means offline. The first replica is the preferred leader. Partitions whose leader is killed, paused or has its log dir offline and is not fenced yet (the metadata still names it until the session timeout) are listed under the table as leader down (--json: leaderDown), as \`sluice ui\` marks them LEADER DOWN.
Local only: refused (exit 2, LOCAL_ONLY) when --bootstrap-server names another cluster; for any cluster, \`sluice topic describe\` shows the same through Kafka's Metadata API.`
  static override examples = [
    '<%= config.bin %> cluster partitions',
    '<%= config.bin %> cluster partitions --topic orders',
    '<%= config.bin %> cluster partitions --json | jq ".partitions[] | select(.leader != .replicas[0])"',
  ]
  static override flags = {
    topic: Flags.string({ description: "only this topic's partitions", helpValue: 'TOPIC' }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<ClusterPartitionsResult> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice cluster partitions' })
    let { partitions, leaderDown } = await local.call('cluster.partitions', {})
    const topic = this.flags.topic
    if (topic !== undefined) {
      partitions = partitions.filter((p) => p.topic === topic)
      leaderDown = leaderDown.filter((p) => p.topic === topic)
      if (partitions.length === 0) throw new SluiceError('NOT_FOUND', `no topic ${topic}`)
    }
    const byName = (a: PartitionState, b: PartitionState): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)
    partitions.sort(byName)
    leaderDown.sort(byName)
    if (!this.jsonEnabled()) {
      if (partitions.length === 0) this.note('no partitions')
      else this.log(partitionTable(partitions))
      if (leaderDown.length > 0) this.log(`\nleader down (${leaderDown.length}, not fenced yet: no reads or writes until the election): ${partitionNames(leaderDown)}`)
    }
    return { partitions, leaderDown }
  }
}
