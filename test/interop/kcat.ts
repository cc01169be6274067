/** Finding and running kcat for interop tests; absent kcat skips the tests, except under CI. */
import { execFileSync } from 'node:child_process'
import { execa, type Options } from 'execa'
import { HANG_MS } from '../helpers/wait.js'

function findKcat(): string | null {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' })
    return 'kcat'
  } catch {
    return null
  }
}

export const kcatPath = findKcat()

if (!kcatPath) {
  if (process.env.CI) throw new Error('kcat is required under CI (apt-get install -y kcat); .ci/run installs it')
  console.warn('kcat not found: the kcat interop tests are skipped (install it: apt-get install -y kcat)')
}

export async function kcat(args: string[], opts: Options = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(kcatPath ?? 'kcat', args, { reject: false, timeout: HANG_MS, ...opts })
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) }
}
