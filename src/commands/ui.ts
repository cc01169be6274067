import { BaseCommand } from '../cli/base-command.js'
import { SluiceError } from '../common/errors.js'
import { bootstrapFlag } from '../cli/kafka-flags.js'
import { displayHome, homePaths } from '../client/home.js'
import { resolveCluster } from '../client/kafka.js'
import { localCluster } from '../client/local.js'
import { renderLiveInCi } from '../tui/shared/interactive.js'

export default class Ui extends BaseCommand<typeof Ui> {
  static override summary = 'The local cluster at a glance, live: brokers, partitions, groups, events; kill, start, pause brokers and fail partitions over from the keyboard.'
  static override description = `A dashboard in the terminal, updated live: brokers (state, partitions led, connections, requests/s, the controller), partitions (leader, replicas, ISR, HWM, LEO, records/s and a 60 s sparkline; OFFLINE and UNDER-REPLICATED marked), consumer groups with their lag, and the event log with the last failover's measured outage.
Keys: tab switches between the brokers and the partitions; up/down select; k kills the selected broker, s starts it, p pauses it (or resumes a paused one); f fails the selected partition over; each asks y/enter or n/esc. i shows the internal topics. q quits (exit 0), Ctrl-C exits 130.
It needs a terminal (exit 2 otherwise: for scripts, use \`sluice cluster status --json\` and \`sluice cluster events --follow\`) and the local daemon, started on first use; it is refused (exit 2, LOCAL_ONLY) when --bootstrap-server names another cluster. If the daemon stops, the view says so, keeps the last data and reconnects when it is back.`
  static override examples = ['<%= config.bin %> ui', 'SLUICE_HOME=/tmp/drill <%= config.bin %> ui']
  static override enableJsonFlag = false
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<void> {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new SluiceError(
        'USAGE',
        '`sluice ui` needs a terminal (stdin and stdout a TTY); for scripts use `sluice cluster status --json` and `sluice cluster events --follow`',
      )
    }
    const bootstrapServer = this.flags['bootstrap-server']
    await localCluster({ home: this.home, bootstrapServer, command: 'sluice ui' })
    // The local daemon's brokers, for the groups pane (the control socket has no group API).
    const target = await resolveCluster({ home: this.home, bootstrapServer, quiet: true })
    renderLiveInCi()
    const { runUi } = await import('../tui/ui/run.js')
    const code = await runUi({ home: displayHome(this.home), socketPath: homePaths(this.home).socket, target })
    if (code !== 0) this.exit(code)
  }
}
