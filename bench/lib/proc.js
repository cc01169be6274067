/**
 * Child processes for the bench: timed runs with stdin from a file, stdout counted (by `wc -l`,
 * so counting costs the measured tools no CPU on a small machine) or discarded, stderr kept.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// GNU time, when installed, reports a child's CPU time (what the tool cost, whatever the load).
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

/** Keeps the last `bytesMax` of a stream: enough for error messages, bounded for chatty tools. */
function tail(stream, bytesMax = 4 << 20) {
  const chunks = []
  let bytes = 0
  stream.on('data', (chunk) => {
    chunks.push(chunk)
    bytes += chunk.length
    while (bytes - chunks[0].length >= bytesMax) bytes -= chunks.shift().length
  })
  return () => Buffer.concat(chunks).toString('utf8')
}

function exited(child) {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }))
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
}

/**
 * Runs `cmd args` to completion. stdout: 'ignore' (discarded), 'count' (lines counted by wc -l),
 * or 'pipe' (captured). Resolves with { code, signal, ms, stdout, stderr, lines, cpu }, where cpu is
 * { userS, sysS, maxRssMB } of the command (when GNU time is installed), else undefined.
 */
export async function run(cmd, args, opts = {}) {
  const { env = process.env, stdinFile, stdout = 'ignore', timeoutMs = 120_000, cwd } = opts
  const stdinFd = stdinFile === undefined ? 'ignore' : fs.openSync(stdinFile, 'r')
  const timeFile = GNU_TIME && path.join(os.tmpdir(), `sluice-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
  if (timeFile) {
    args = ['-q', '-f', '%U %S %M', '-o', timeFile, cmd, ...args]
    cmd = GNU_TIME
  }
  const started = performance.now()
  // Its own process group, so that a timeout kills the tool and not only GNU time around it.
  const child = spawn(cmd, args, { env, cwd, detached: true, stdio: [stdinFd, stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'] })
  if (typeof stdinFd === 'number') fs.closeSync(stdinFd)
  const stderr = tail(child.stderr)
  const childExit = exited(child)
  let counter
  let counterExit
  let captured
  if (stdout === 'count') {
    counter = spawn('wc', ['-l'], { stdio: [child.stdout, 'pipe', 'ignore'] })
    counterExit = exited(counter)
    // wc holds its own copy of the pipe; ours would otherwise hold the child's 'close' forever.
    child.stdout.destroy()
    captured = tail(counter.stdout)
  } else if (stdout === 'pipe') {
    captured = tail(child.stdout, 64 << 20)
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      child.kill('SIGKILL')
    }
  }, timeoutMs)
  const exit = await childExit
  const ms = performance.now() - started
  clearTimeout(timer)
  let lines
  if (counter) {
    await counterExit
    lines = Number.parseInt(captured().trim(), 10)
  }
  const timedOut = exit.signal === 'SIGKILL' && ms >= timeoutMs
  return { ...exit, timedOut, ms, stdout: captured && !counter ? captured() : '', stderr: stderr(), lines, cpu: readTime(timeFile) }
}

function readTime(file) {
  if (!file) return undefined
  try {
    const [userS, sysS, maxRssKB] = fs.readFileSync(file, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
    return Number.isFinite(userS) ? { userS, sysS, maxRssMB: maxRssKB / 1024 } : undefined
  } catch {
    return undefined
  } finally {
    fs.rmSync(file, { force: true })
  }
}

/** Throws a readable error unless the run exited 0. */
export function check(result, what) {
  if (result.code === 0) return result
  const how = result.timedOut
    ? 'timed out'
    : result.error
      ? `could not run: ${result.error.message}`
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited ${result.code}`
  const err = result.stderr.trim().split('\n').slice(-8).join('\n')
  throw new Error(`${what} ${how}${err ? `:\n${err}` : ''}`)
}
