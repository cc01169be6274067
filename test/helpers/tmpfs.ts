/**
 * A small tmpfs for full-disk tests. Mounting needs root: `mountTmpfs` returns the reason it cannot
 * (for `ctx.skip(reason)`), or null once mounted; `unmountTmpfs` always unmounts (lazily if busy).
 */
import { execFileSync } from 'node:child_process'

export function mountTmpfs(dir: string, sizeMb: number): string | null {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs (a small filesystem to fill)'
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' })
    return null
  } catch (error) {
    return `cannot mount a tmpfs: ${String(error)}`
  }
}

export function unmountTmpfs(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' })
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
  }
}
