import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { displayHome, homePaths } from '../../client/home.js'
import { followLines, readLastLines } from '../../client/log-tail.js'

export default class DaemonLogs extends BaseCommand<typeof DaemonLogs> {
  static override summary = "Print the daemon's log."
  static override description = `Prints the last lines of <home>/logs/daemon.log; with --follow, keeps printing new lines until Ctrl-C.`
  static override examples = [
    '<%= config.bin %> daemon logs',
    '<%= config.bin %> daemon logs --lines 200',
    '<%= config.bin %> daemon logs --follow',
  ]
  // Log lines are the output; there is no JSON form of them.
  static override enableJsonFlag = false
  static override flags = {
    lines: Flags.integer({ char: 'n', description: 'how many of the last lines to print', default: 20, min: 0 }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing lines as they are written', default: false }),
  }

  public async run(): Promise<void> {
    const file = homePaths(this.home).logFile
    const last = readLastLines(file, this.flags.lines)
    if (last === undefined && !this.flags.follow) {
      this.note(`no daemon log yet (home ${displayHome(this.home)})`)
      return
    }
    for (const line of last?.lines ?? []) process.stdout.write(line + '\n')
    if (!this.flags.follow) return
    const signal = this.interruptSignal()
    await followLines(file, { offset: last?.endOffset ?? 0, ino: last?.ino }, (line) => process.stdout.write(line + '\n'), signal)
  }
}
