/**
 * Whether a pid names a live process. Used to tell a running daemon from a stale pid file.
 */
import fs from 'node:fs'

export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    // EPERM: the process exists but belongs to someone else; it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A daemon killed with -9 whose parent never reaps it (a container whose pid 1 is not an
  // init) lingers as a zombie: kill(pid, 0) succeeds but it holds no sockets and runs no code.
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Format: "pid (comm) state ..."; comm may contain spaces or parentheses, so find the last ')'.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
      if (state === 'Z' || state === 'X') return false
    } catch {
      // The process exited between the two checks, or /proc is not mounted: trust kill().
      return fs.existsSync('/proc/self') ? false : true
    }
  }
  return true
}


/**
 * When a process started, in clock ticks since boot (Linux /proc/<pid>/stat field 22); undefined
 * elsewhere. Monotonic, so unlike a wall-clock time it survives clock jumps; with the pid it
 * identifies one process, which tells a daemon from an unrelated process that reused its pid.
 */
export function processStartTicks(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "(comm)" start at field 3 (state); starttime is field 22.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    return Number.isSafeInteger(ticks) ? ticks : undefined
  } catch {
    return undefined
  }
}
