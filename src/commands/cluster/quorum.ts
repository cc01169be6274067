import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { SluiceError } from '../../common/errors.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatFields, formatTable } from '../../cli/table.js'
import { resolveCluster } from '../../client/kafka.js'
import { describeQuorum, type QuorumDescription, type QuorumNode, type QuorumReplica } from '../../client/quorum.js'

export type QuorumStatusResult = Omit<QuorumDescription, 'replicas'>
export interface QuorumReplicationResult {
  leaderId: number
  leaderEpoch: number
  highWatermark: number
  replicas: QuorumReplica[]
}

/** A voter as Kafka's tool prints it: `{"id": 1, "directoryId": null, "endpoints": ["PLAINTEXT://host:9092"]}` (sluice's voters have no directory ids). */
function nodeText(n: QuorumNode): string {
  const endpoints = n.endpoints.length === 0 ? '' : `, "endpoints": [${n.endpoints.map((e) => `"${e}"`).join(', ')}]`
  return `{"id": ${n.id}, "directoryId": null${endpoints}}`
}

const nodesText = (nodes: QuorumNode[]): string => `[${nodes.map(nodeText).join(', ')}]`

/** A timestamp column: epoch ms as Kafka prints it, or `N ms ago` with --human-readable (-1 stays -1). */
function when(timestampMs: number, human: boolean, nowMs: number): string {
  if (timestampMs < 0 || !human) return String(timestampMs)
  return `${Math.max(0, nowMs - timestampMs)} ms ago`
}

export default class ClusterQuorum extends BaseCommand<typeof ClusterQuorum> {
  static override summary = "The controller quorum (KRaft's metadata log): leader, epoch, high watermark, each voter's log end and lag."
  static override description = `What \`kafka-metadata-quorum.sh describe\` shows, read the same way: DescribeQuorum (API 55) to a broker, which answers for the quorum's leader, and DescribeCluster for the cluster id.
--status (the default): ClusterId, LeaderId, LeaderEpoch, HighWatermark (offsets of the metadata log, __cluster_metadata), MaxFollowerLag (the leader's log end offset minus the most lagging voter's), MaxFollowerLagTimeMs (how long that voter has not been caught up, against the leader: 0 when no voter lags, -1 when unknown), CurrentVoters and CurrentObservers with their endpoints.
--replication: one row per replica, leader first: NodeId, LogEndOffset, Lag, LastFetchTimestamp, LastCaughtUpTimestamp (ms since the epoch, -1 when unknown; --human-readable: "N ms ago"), Status (Leader, Follower, Observer).
--json: --status {"clusterId","leaderId","leaderEpoch","highWatermark","maxFollowerLag","maxFollowerLagTimeMs","currentVoters":[{"id","endpoints"}],"currentObservers":[...]}; --replication {"leaderId","leaderEpoch","highWatermark","replicas":[{"nodeId","logEndOffset","lag","lastFetchTimestamp","lastCaughtUpTimestamp","status"}]}.
Works against any KRaft cluster of Kafka 3.3 or later (--bootstrap-server), not only the local daemon.
Exit codes: 2 bad flags, 3 cluster unreachable, 7 no quorum leader (QUORUM_NO_MAJORITY: an election is running, or no majority of the controllers is up) or another Kafka error.`
  static override examples = [
    '<%= config.bin %> cluster quorum',
    '<%= config.bin %> cluster quorum --replication',
    '<%= config.bin %> cluster quorum --replication --human-readable',
    '<%= config.bin %> cluster quorum --json | jq .leaderId',
  ]
  static override flags = {
    status: Flags.boolean({ description: 'the quorum as a whole (the default)', default: false, exclusive: ['replication'] }),
    replication: Flags.boolean({ description: 'one row per replica of the metadata log', default: false, exclusive: ['status'] }),
    'human-readable': Flags.boolean({ description: 'with --replication: the timestamps as "N ms ago"', default: false }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<QuorumStatusResult | QuorumReplicationResult> {
    const { flags } = this
    // oclif's dependsOn counts a boolean's default as given: checked here instead.
    if (flags['human-readable'] && !flags.replication) throw new SluiceError('USAGE', '--human-readable goes with --replication (the --status lines carry no timestamps)')
    const target = await resolveCluster({ bootstrapServer: flags['bootstrap-server'], home: this.home })
    const { replicas, ...status } = await describeQuorum(target)
    if (flags.replication) {
      if (!this.jsonEnabled()) this.log(this.replicationTable(replicas, flags['human-readable']))
      return { leaderId: status.leaderId, leaderEpoch: status.leaderEpoch, highWatermark: status.highWatermark, replicas }
    }
    if (!this.jsonEnabled()) {
      this.log(
        formatFields([
          ['ClusterId:', status.clusterId],
          ['LeaderId:', status.leaderId],
          ['LeaderEpoch:', status.leaderEpoch],
          ['HighWatermark:', status.highWatermark],
          ['MaxFollowerLag:', status.maxFollowerLag],
          ['MaxFollowerLagTimeMs:', status.maxFollowerLagTimeMs],
          ['CurrentVoters:', nodesText(status.currentVoters)],
          ['CurrentObservers:', nodesText(status.currentObservers)],
        ]),
      )
    }
    return status
  }

  private replicationTable(replicas: QuorumReplica[], human: boolean): string {
    const nowMs = Date.now()
    return formatTable(
      ['NodeId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status'],
      replicas.map((r) => [r.nodeId, r.logEndOffset, r.lag, when(r.lastFetchTimestamp, human, nowMs), when(r.lastCaughtUpTimestamp, human, nowMs), r.status]),
      { keepHeaderCase: true },
    )
  }
}
