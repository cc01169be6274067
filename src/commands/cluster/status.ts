import kleur from 'kleur'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatFields } from '../../cli/table.js'
import { ExitCode } from '../../common/errors.js'
import { healthProblems, localCluster, partitionNames } from '../../client/local.js'
import { brokerTable, logDirLines, partitionTable, recoveriesTable } from '../../cli/cluster-views.js'
import type { ClusterStatusResult } from '../../common/control-contract.js'

/** Colours whole lines (cells would break the alignment); kleur leaves them plain off a terminal. */
function paintLines(text: string, paint: (line: string) => string, keep: (index: number) => boolean = () => false): string {
  return text
    .split('\n')
    .map((line, i) => (keep(i) ? line : paint(line)))
    .join('\n')
}

const count = (n: number, what: string, plural = `${what}s`): string => (n === 0 ? 'none' : `${n} ${n === 1 ? what : plural}`)

export default class ClusterStatus extends BaseCommand<typeof ClusterStatus> {
  static override summary = "The local cluster's health: brokers, the controller, offline, leader-down and under-replicated partitions."
  static override description = `Offline partitions have no leader (every in-sync replica is down): nobody can produce to or consume from them until a replica returns. Leader-down partitions are led by a broker that is killed, paused or has its log dir offline and is not fenced yet (a crash is noticed at the session timeout, 9 s): the metadata still names that leader, but nobody can produce to or consume from them until the election; \`sluice ui\` marks them LEADER DOWN. Under-replicated partitions have fewer in-sync replicas than replicas: a broker is down or lagging. Both are listed, in colour on a terminal.
Replicas that had to recover from corruption since the daemon started (a stored batch failed its CRC-32C check, or a log lost writes while the daemon was stopped) are listed with their broker, partition, damaged offsets and state (recovering, recovered, unrecoverable).
Exit 0 when the cluster is healthy, 8 when it is not: a broker not up, or a partition offline, leader down or under-replicated, a stuck replica, or a replica still recovering (or unrecoverable). --json: {brokers, controllerId, topics, partitions, healthy, offline: [...], leaderDown: [...], underReplicated: [...], stuckReplicas: [...], recoveries: [...]}. A stuck replica is a follower that keeps truncating and refetching the same records: it stays in the ISR, so acks=all writes to its partition time out.
Local only: refused (exit 2, LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> cluster status',
    '<%= config.bin %> cluster status --json | jq ".offline | length"',
  ]
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<ClusterStatusResult & { healthy: boolean }> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice cluster status' })
    const status = await local.call('cluster.status', {})
    const healthy = healthProblems(status).length === 0
    if (!this.jsonEnabled()) this.print(status)
    // Scripts and monitors read the verdict from the exit code; the status is printed either way.
    if (!healthy) process.exitCode = ExitCode.UNHEALTHY
    return { ...status, healthy }
  }

  private print(status: ClusterStatusResult): void {
    const states = new Map<string, number>()
    for (const b of status.brokers) states.set(b.state, (states.get(b.state) ?? 0) + 1)
    const brokerStates = [...states].map(([state, n]) => `${n} ${state}`).join(', ')
    const { offline, leaderDown, underReplicated } = status
    const problems = healthProblems(status)
    const stuck = status.stuckReplicas
    this.log(
      formatFields([
        ['health', problems.length === 0 ? 'healthy' : kleur.red(`not healthy: ${problems.join('; ')}`)],
        ['controller', `broker ${status.controllerId}`],
        ['brokers', `${status.brokers.length} (${brokerStates})`],
        ['topics', `${status.topics} (${status.partitions} partitions)`],
        ['offline', offline.length === 0 ? 'none' : kleur.red(count(offline.length, 'partition'))],
        ['leader down', leaderDown.length === 0 ? 'none' : kleur.red(`${count(leaderDown.length, 'partition')}: ${partitionNames(leaderDown)}`)],
        ['under-replicated', underReplicated.length === 0 ? 'none' : kleur.yellow(count(underReplicated.length, 'partition'))],
        ['stuck replicas', stuck.length === 0 ? 'none' : kleur.red(count(stuck.length, 'replica'))],
        ['recovered replicas', status.recoveries.length === 0 ? 'none' : kleur.yellow(count(status.recoveries.length, 'recovery', 'recoveries'))],
      ]),
    )
    this.log('')
    // Brokers that are not up stand out; the header line (index 0) stays plain.
    const notUp = new Set(status.brokers.flatMap((b, i) => (b.state === 'up' ? [] : [i + 1])))
    this.log(paintLines(brokerTable(status.brokers, status.controllerId), kleur.yellow, (i) => !notUp.has(i)))
    for (const line of logDirLines(status.brokers)) this.log(kleur.red(line))
    if (offline.length > 0) {
      this.log('')
      this.log(kleur.red().bold('OFFLINE PARTITIONS: no leader, no reads or writes until a replica returns'))
      this.log(paintLines(partitionTable(offline), kleur.red))
    }
    if (leaderDown.length > 0) {
      this.log('')
      this.log(kleur.red().bold('LEADER DOWN: the leader is killed, paused or offline and not fenced yet; no reads or writes until the election'))
      this.log(paintLines(partitionTable(leaderDown), kleur.red))
    }
    if (underReplicated.length > 0) {
      this.log('')
      this.log(kleur.yellow().bold('UNDER-REPLICATED PARTITIONS: fewer in-sync replicas than replicas'))
      this.log(paintLines(partitionTable(underReplicated), kleur.yellow))
    }
    if (stuck.length > 0) {
      this.log('')
      this.log(kleur.red().bold('STUCK REPLICAS: a follower truncates and refetches the same records without converging (see the daemon log)'))
      for (const s of stuck) {
        this.log(kleur.red(`${s.topic}-${s.partition} on broker ${s.broker} (leader ${s.leader}): truncated from ${s.fromOffset} to ${s.toOffset} ${s.truncations} times`))
      }
    }
    if (status.recoveries.length > 0) {
      this.log('')
      this.log(kleur.yellow().bold('REPLICAS RECOVERED FROM CORRUPTION: the damaged range was fetched again from a healthy replica'))
      this.log(recoveriesTable(status.recoveries))
    }
  }
}
