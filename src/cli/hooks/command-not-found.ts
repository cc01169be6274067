/**
 * oclif `command_not_found` hook: an unknown command is a usage error like an unknown flag,
 * so it gets the same one-line message and exit code 2 (registered in package.json oclif.hooks).
 */
import { Errors, type Hook } from '@oclif/core'
import { ExitCode } from '../errors.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const typed = opts.id.replaceAll(':', ' ')
  const message = `unknown command "${typed}" (see ${opts.config.bin} --help)`
  if (opts.argv?.includes('--json')) process.stdout.write(JSON.stringify({ error: { code: 'USAGE', message } }) + '\n')
  else process.stderr.write(`sluice: ${message}\n`)
  throw new Errors.ExitError(ExitCode.USAGE)
}

export default hook
