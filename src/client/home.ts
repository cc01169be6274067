/**
 * Which sluice home a command works in: --home, else $SLUICE_HOME, else ~/.sluice.
 */
import os from 'node:os'
import path from 'node:path'
import { homePaths, type HomePaths } from '../common/home-paths.js'

export { homePaths, type HomePaths }

export const DEFAULT_HOME_DIRNAME = '.sluice'

function expandTilde(p: string): string {
  if (p === '~') return os.homedir()
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2))
  return p
}

/** An absolute home directory path. Does not create it. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? (env.SLUICE_HOME === undefined || env.SLUICE_HOME === '' ? undefined : env.SLUICE_HOME)
  return path.resolve(expandTilde(chosen ?? path.join(os.homedir(), DEFAULT_HOME_DIRNAME)))
}

/** The home as a person would type it: ~/.sluice rather than /home/ada/.sluice. */
export function displayHome(home: string): string {
  const user = os.homedir()
  if (home === user) return '~'
  return home.startsWith(user + path.sep) ? '~' + home.slice(user.length) : home
}
