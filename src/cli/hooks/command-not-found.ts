/**
 * oclif `command_not_found` hook: an unknown command is a usage error like an unknown flag,
 * so it gets the same one-line message and exit code 2 (registered in package.json oclif.hooks),
 * naming the nearest command when one is close (a typo), never running it for the user.
 */
import { Errors, type Hook } from '@oclif/core'
import { ExitCode } from '../../common/errors.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const typed = opts.id.replaceAll(':', ' ')
  const known = [...opts.config.commandIDs, ...opts.config.topics.map((t) => t.name)].map((id) => id.replaceAll(':', ' '))
  const near = nearest(typed, known)
  const hint = near === undefined ? '' : `; did you mean "${near}"?`
  const message = `unknown command "${typed}"${hint} (see ${opts.config.bin} --help)`
  if (opts.argv?.includes('--json')) process.stdout.write(JSON.stringify({ error: { code: 'USAGE', message } }) + '\n')
  else process.stderr.write(`sluice: ${message}\n`)
  throw new Errors.ExitError(ExitCode.USAGE)
}

/** The known id closest to typed by edit distance, if within a third of its length (at least 2). */
export function nearest(typed: string, known: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(typed.length / 3)) + 1
  for (const id of new Set(known)) {
    const d = distance(typed, id)
    if (d < bestDistance) [best, bestDistance] = [id, d]
  }
  return best
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)))
    prev = row
  }
  return prev[b.length]!
}

export default hook
