import { BaseCommand } from '../../cli/base-command.js'
import { formatDurationMs, formatFields, formatTable } from '../../cli/table.js'
import { daemonStatus, type DaemonStatus } from '../../client/daemon.js'
import { logDirLines, recoveriesTable } from '../../cli/cluster-views.js'
import { displayHome } from '../../client/home.js'

export default class DaemonStatusCommand extends BaseCommand<typeof DaemonStatusCommand> {
  static override summary = 'Show whether the daemon runs, and its brokers.'
  static override description = 'Exits 3 (with code DAEMON_NOT_RUNNING) when no daemon runs for this home.'
  static override examples = ['<%= config.bin %> daemon status', '<%= config.bin %> daemon status --json']

  public async run(): Promise<DaemonStatus> {
    const status = await daemonStatus(this.home)
    const fields: Array<[string, string | number]> = [
      ['state', status.state],
      ['pid', status.pid],
      ['home', displayHome(status.home)],
      ['bootstrap', status.bootstrap],
      ['uptime', formatDurationMs(status.uptimeMs)],
      // Whether an acknowledged write survives a power loss (on) or only a crash of the daemon (off).
      ['fsync', status.fsync ? 'on' : 'off'],
    ]
    const cluster = status.cluster
    if (cluster) {
      fields.push(['controller', cluster.controllerId], ['topics', `${cluster.topics} (${cluster.partitions} partitions)`])
    }
    this.log(formatFields(fields))
    if (cluster) {
      this.log('')
      this.log(
        formatTable(
          ['broker', 'host', 'port', 'state', 'connections'],
          cluster.brokers.map((b) => [b.id, b.host, b.port, b.state, b.connections]),
        ),
      )
      for (const line of logDirLines(cluster.brokers)) this.log(line)
      if (cluster.recoveries.length > 0) {
        this.log('')
        this.log('Replicas recovered from corruption (the damaged range fetched again from a healthy replica):')
        this.log(recoveriesTable(cluster.recoveries))
      }
    }
    return status
  }
}
