/**
 * Temporary sluice homes for tests. cleanup() also kills a daemon left running in the home, so
 * a failed test never leaks a process that holds ports for the next one.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface TempHome {
  path: string
  cleanup(): Promise<void>
}

function killLeftover(home: string): Promise<void> {
  return fs
    .readFile(path.join(home, 'daemon.pid'), 'utf8')
    .then((text) => {
      const pid = Number.parseInt(text.trim(), 10)
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid) process.kill(pid, 'SIGKILL')
    })
    .catch(() => undefined)
}

/** A fresh directory under the OS temp dir (short, so the control socket path fits). */
export async function tempHome(prefix = 'sluice-test-'): Promise<TempHome> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  return {
    path: dir,
    cleanup: async () => {
      await killLeftover(dir)
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
}
