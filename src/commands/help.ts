import { Command, Errors, loadHelpClass } from '@oclif/core'
import { ExitCode } from '../common/errors.js'
import { nearest } from '../cli/hooks/command-not-found.js'

/** `sluice help [COMMAND...]`: the same text as `sluice [COMMAND...] --help` (as git and kafka tools have it). */
export default class Help extends Command {
  static override summary = 'Show help for sluice or for a command: sluice help topic create.'
  static override strict = false
  static override usage = 'help [COMMAND...]'
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help topic create']

  async run(): Promise<void> {
    const id = this.argv.filter((a) => !a.startsWith('-')).join(':')
    if (id !== '' && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      // The message and exit code of an unknown command (the command_not_found hook), not oclif's.
      const known = [...this.config.commandIDs, ...this.config.topics.map((t) => t.name)].map((c) => c.replaceAll(':', ' '))
      const near = nearest(id.replaceAll(':', ' '), known)
      process.stderr.write(`sluice: unknown command "${id.replaceAll(':', ' ')}"${near === undefined ? '' : `; did you mean "help ${near}"?`} (see ${this.config.bin} --help)\n`)
      throw new Errors.ExitError(ExitCode.USAGE)
    }
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(this.argv)
  }
}
