import { BaseCommand } from '../../cli/base-command.js'
import { stopDaemon, type StopResult } from '../../client/daemon.js'
import { displayHome } from '../../client/home.js'

export default class DaemonStop extends BaseCommand<typeof DaemonStop> {
  static override summary = 'Stop the local daemon gracefully and wait for it to exit.'
  static override description = `Closes the broker listeners, flushes and closes the stores, removes the pid file and the control socket. If the daemon has not exited after 10 s it is killed (SIGKILL), with a note.
Stopping a daemon that is not running is not an error.`
  static override examples = ['<%= config.bin %> daemon stop', '<%= config.bin %> daemon stop --json']

  public async run(): Promise<StopResult> {
    const result = await stopDaemon({ home: this.home, onNote: (n) => this.note(n) })
    if (!result.stopped) this.note(`the daemon is not running (home ${displayHome(result.home)})`)
    else if (!result.killed) this.note(`stopped the daemon (pid ${result.pid})`)
    return result
  }
}
