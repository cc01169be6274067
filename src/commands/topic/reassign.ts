import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { usageError } from '../../common/errors.js'
import { resolveCluster } from '../../client/kafka.js'
import { parseReplicaList, reassignPartition, type ReassignResult } from '../../client/topic-reassign.js'

const list = (ids: readonly number[]): string => `[${ids.join(',')}]`

export default class TopicReassign extends BaseCommand<typeof TopicReassign> {
  static override summary = "Move a partition's replicas to other brokers (AlterPartitionReassignments), or cancel a move."
  static override description = `--replicas lists the target brokers, preferred leader first. The move starts at once and runs in the background, as in Kafka: the new replicas copy the partition from its leader and join the in-sync replicas, then the old ones are removed (they delete their copy) and leadership moves if the leader was one of them. A reorder, or dropping replicas that leaves every target replica in sync, completes at once. Follow a move with \`sluice topic reassignments\`.
--cancel stops the move in progress: the replicas it was adding are dropped, the partition keeps its old replicas.
Exit codes: 4 when the topic or partition does not exist, 2 for a bad --replicas (an empty list, a broker twice or not in the cluster) or a cancel that would need an unclean election, 7 for a cancel with no move in progress, 3 when the cluster is unreachable.`
  static override examples = [
    '<%= config.bin %> topic reassign orders --partition 0 --replicas 2,3',
    '<%= config.bin %> topic reassign orders --partition 0 --cancel',
    '<%= config.bin %> topic reassign orders --partition 2 --replicas 3,1,2 --json',
  ]
  static override args = {
    topic: Args.string({ description: 'topic name', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    partition: Flags.integer({ description: 'the partition to move', min: 0, required: true, helpValue: 'P' }),
    replicas: Flags.string({ description: 'the target brokers, comma-separated, preferred leader first', helpValue: 'IDS', exclusive: ['cancel'] }),
    cancel: Flags.boolean({ description: 'cancel the move in progress', default: false }),
  }

  public async run(): Promise<ReassignResult> {
    const { topic } = this.args
    const { partition, cancel } = this.flags
    if (this.flags.replicas === undefined && !cancel) throw usageError('give --replicas IDS (the target brokers) or --cancel (see --help)')
    const replicas = cancel ? null : parseReplicaList(this.flags.replicas!)
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const result = await reassignPartition(target, topic, partition, replicas)
    if (!this.jsonEnabled()) {
      const name = `${topic}-${partition}`
      const r = result.reassignment
      if (r) this.note(`reassignment of ${name} in progress: replicas ${list(r.replicas)}, adding ${list(r.addingReplicas)}, removing ${list(r.removingReplicas)} (follow it with: sluice topic reassignments ${topic})`)
      else if (cancel) this.note(`reassignment of ${name} cancelled: replicas ${list(result.replicas)}`)
      else this.note(`reassignment of ${name} done: replicas ${list(result.replicas)}`)
    }
    return result
  }
}
