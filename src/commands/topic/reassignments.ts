import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatTable } from '../../cli/table.js'
import { resolveCluster } from '../../client/kafka.js'
import { localCluster } from '../../client/local.js'
import { listReassignments, withProgress, type ReassignmentWithProgress } from '../../client/topic-reassign.js'

const list = (ids: readonly number[]): string => ids.join(',')

/** "3: 120/500" per adding replica: its log end offset of the leader's ("?" when its broker is down). */
function progressText(r: ReassignmentWithProgress): string {
  if (r.progress === null) return '-'
  return r.progress.map((p) => `${p.broker}: ${p.logEndOffset ?? '?'}/${p.leaderLogEndOffset ?? '?'}`).join('  ')
}

export default class TopicReassignments extends BaseCommand<typeof TopicReassignments> {
  static override summary = 'List the partition moves in progress (ListPartitionReassignments), with how far each new replica is.'
  static override description = `Every move in progress, or those of TOPIC: the partition's replicas during the move (the target first, then the replicas being removed), the replicas being added and removed, and, on the local daemon, each adding replica's log end offset against the leader's (its copy is complete when they meet; it then joins the in-sync replicas and the move completes). Another Kafka cluster does not say how far its replicas are: the progress is left out.
Exit codes: 4 when TOPIC does not exist, 3 when the cluster is unreachable.`
  static override examples = ['<%= config.bin %> topic reassignments', '<%= config.bin %> topic reassignments orders --json']
  static override args = {
    topic: Args.string({ description: 'only this topic', required: false }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<{ reassignments: ReassignmentWithProgress[] }> {
    const { topic } = this.args
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const moves = await listReassignments(target, topic)
    let snapshots = null
    if (target.local && moves.length > 0) {
      const local = await localCluster({ home: this.home, command: 'sluice topic reassignments' })
      snapshots = (await local.call('cluster.snapshot', {})).partitions
    }
    const reassignments = withProgress(moves, snapshots)
    if (!this.jsonEnabled()) {
      if (reassignments.length === 0) this.note(topic === undefined ? 'no partition reassignment in progress' : `no reassignment of topic ${topic} in progress`)
      else {
        const rows = reassignments.map((r) => [`${r.topic}-${r.partition}`, list(r.target), list(r.replicas), list(r.addingReplicas), list(r.removingReplicas), progressText(r)])
        this.log(formatTable(['partition', 'target', 'replicas', 'adding', 'removing', 'progress (adding: log end/leader)'], rows))
      }
    }
    return { reassignments }
  }
}
