/**
 * The home holds every record produced (the brokers' LevelDBs) and the control socket that can
 * stop the daemon, so it is private to its user: created 0700, and an existing home that others
 * can read is tightened to 0700 (with a note saying so). A directory that is not only sluice's
 * (sticky, like /tmp, or owned by someone else) is never changed: the note warns instead.
 */
import fs from 'node:fs'
import path from 'node:path'

const PRIVATE = 0o700

/** The subdirectories sluice owns inside a home; they are tightened whatever the home's mode. */
const OWNED = ['brokers', 'logs', 'metadata']

/** Makes the home private; returns a note for the user when it changed or refused to change a mode. */
export function secureHome(home: string): string | null {
  fs.mkdirSync(home, { recursive: true, mode: PRIVATE })
  for (const name of OWNED) {
    const dir = path.join(home, name)
    try {
      if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, PRIVATE)
    } catch {
      // not created yet: it will be, under a private home
    }
  }
  const stat = fs.statSync(home)
  const mode = stat.mode & 0o7777
  if ((mode & 0o077) === 0) return null
  const octal = (m: number): string => `0${(m & 0o7777).toString(8)}`
  const ours = process.getuid === undefined || stat.uid === process.getuid()
  if (!ours || (mode & 0o1000) !== 0) {
    return `the home ${home} is mode ${octal(mode)}: other users may read the record data in it; use a home of your own (SLUICE_HOME)`
  }
  fs.chmodSync(home, PRIVATE)
  return `tightened the home ${home} from mode ${octal(mode)} to 0700: it holds the record data`
}
