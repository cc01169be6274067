/**
 * A small tmpfs for full-disk tests. Mounting needs root: `mountTmpfs` returns the reason it cannot
 * (for `ctx.skip(reason)`), or null once mounted; `unmountTmpfs` always unmounts (lazily if busy).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

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

/**
 * An 8 MB tmpfs at `dir` with 4 MB already taken, so that a store on it fills it within a few MB
 * of writes. Without a mount, removes `dir` and skips the test with the reason.
 */
export function mountNearlyFull(dir: string, ctx: { skip: (reason: string) => void }): void {
  const skip = mountTmpfs(dir, 8)
  if (skip) {
    fs.rmSync(dir, { recursive: true, force: true })
    ctx.skip(skip)
    return
  }
  fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(4 * 1024 * 1024, 1))
}
