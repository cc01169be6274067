/**
 * `sluice tail` under load: kcat produces about 50,000 records/s (paced by this process) into a
 * topic for a while, and meanwhile `sluice tail` runs in a real terminal (a tmux pane, 120x30)
 * beside `sluice consume --from latest > /dev/null` on the same stream (the reference: the same
 * fetch loop writing every record). Reported: the CPU each used over the measured window (% of
 * one core, from /proc/<pid>/stat utime + stime), their ratio, how fast the view answered a key
 * under that load (space: paused, space: following, timed by polling the pane), and whether the
 * screen was current at the end (the record count in its header and the newest offset shown,
 * against what was produced). `sluice ui` runs in a second pane (160x45) over the same window:
 * its CPU too (it polls the daemon's snapshot; the record rate only changes the numbers it shows).
 */
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { BIN, cpuOf, REPO_ROOT } from './daemon.js'
import { createTopic, recordCount } from './topics.js'

const PAD = 'x'.repeat(40)

function tmux(...args) {
  return execFileSync('tmux', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
}

function cpuMs(pid) {
  const c = cpuOf(pid)
  return c.mainMs + c.otherMs
}

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    child.once('close', () => resolve())
  })
}

/** Polls the pane until `test(screen)` holds; the time it took in ms, or undefined after `timeoutMs`. */
async function waitScreen(session, test, timeoutMs = 10_000) {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (test(tmux('capture-pane', '-p', '-t', session))) return performance.now() - started
    await sleep(10)
  }
  return undefined
}

/** Writes records into `producer.stdin` at `ratePerSec` until `stopAt` (performance.now() ms). */
async function pace(producer, ratePerSec, state, stopAt) {
  const started = performance.now()
  const base = state.sent
  while (performance.now() < stopAt) {
    const due = base + Math.floor(((performance.now() - started) * ratePerSec) / 1000)
    if (due > state.sent) {
      let lines = ''
      for (; state.sent < due; state.sent++) lines += `{"seq":${state.sent},"customer":"c-${state.sent % 1000}","pad":"${PAD}"}\n`
      if (!producer.stdin.write(lines)) await new Promise((r) => producer.stdin.once('drain', r))
    }
    await sleep(2)
  }
}

export async function measureTail(daemon, topic, opts = {}) {
  const { ratePerSec = 50_000, warmupMs = 3_000, measureMs = 10_000, partitions = 3, tailArgs = [] } = opts
  await createTopic(daemon.bootstrap, topic, partitions)
  const session = `sluice-bench-tail-${process.pid}`
  const env = { ...daemon.env }
  delete env.CI // Ink prints only its last frame when CI is set
  const envArgs = Object.entries({ SLUICE_HOME: daemon.home }).map(([k, v]) => `${k}=${v}`)
  const command = ['exec', 'env', '-u', 'CI', ...envArgs, process.execPath, BIN, 'tail', topic, '--bootstrap-server', daemon.bootstrap, ...tailArgs].join(' ')
  const devNull = fs.openSync('/dev/null', 'w')
  const consume = spawn(process.execPath, [BIN, 'consume', topic, '--bootstrap-server', daemon.bootstrap, '--from', 'latest'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', devNull, 'pipe'],
  })
  fs.closeSync(devNull)
  let consumeErr = ''
  consume.stderr.on('data', (d) => (consumeErr = (consumeErr + d).slice(-4096)))
  const producer = spawn('kcat', ['-P', '-b', daemon.bootstrap, '-t', topic, '-X', 'acks=1', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'pipe'] })
  producer.stdin.on('error', () => undefined)
  let producerErr = ''
  producer.stderr.on('data', (d) => (producerErr = (producerErr + d).slice(-4096)))
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', '-c', REPO_ROOT, command)
  const uiSession = `${session}-ui`
  const uiCommand = ['exec', 'env', ...envArgs, process.execPath, BIN, 'ui'].join(' ')
  tmux('new-session', '-d', '-s', uiSession, '-x', '160', '-y', '45', '-c', REPO_ROOT, uiCommand)
  try {
    const tailPid = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim())
    if ((await waitScreen(session, (s) => /sluice tail \S+ +· +following/.test(s), 30_000)) === undefined) {
      throw new Error(`sluice tail did not start following:\n${tmux('capture-pane', '-p', '-t', session)}`)
    }
    const uiPid = Number(tmux('display-message', '-p', '-t', uiSession, '#{pane_pid}').trim())
    if ((await waitScreen(uiSession, (s) => s.includes(`${topic}-0`), 30_000)) === undefined) {
      throw new Error(`sluice ui did not show ${topic}:\n${tmux('capture-pane', '-p', '-t', uiSession)}`)
    }
    const state = { sent: 0 }
    // Warm-up: both readers are following and the JIT has settled before the window opens.
    await pace(producer, ratePerSec, state, performance.now() + warmupMs)
    const t0 = performance.now()
    const tail0 = cpuMs(tailPid)
    const consume0 = cpuMs(consume.pid)
    const ui0 = cpuMs(uiPid)
    const sent0 = state.sent
    // Half-way through the window: a key round trip (pause, then follow) under load.
    const half = t0 + measureMs / 2
    await pace(producer, ratePerSec, state, half)
    tmux('send-keys', '-t', session, 'Space')
    const pauseMs = await waitScreen(session, (s) => /· +paused +·/.test(s))
    tmux('send-keys', '-t', session, 'Space')
    const followMs = await waitScreen(session, (s) => /· +following +·/.test(s))
    await pace(producer, ratePerSec, state, t0 + measureMs)
    const seconds = (performance.now() - t0) / 1000
    const tailCpuMs = cpuMs(tailPid) - tail0
    const consumeCpuMs = cpuMs(consume.pid) - consume0
    const uiCpuMs = cpuMs(uiPid) - ui0
    const uiScreen = tmux('capture-pane', '-p', '-t', uiSession)
    const sentMeasured = state.sent - sent0
    // Let the last records arrive, then read the screen.
    producer.stdin.end()
    await Promise.race([exited(producer), sleep(10_000)])
    const produced = await recordCount(daemon.bootstrap, topic, partitions)
    let screen = ''
    let shownRecords = 0
    await waitScreen(session, (s) => {
      screen = s
      shownRecords = Number((/· +([\d,]+) records +·/.exec(s)?.[1] ?? '0').replace(/,/g, ''))
      return shownRecords >= state.sent
    }, 5_000)
    const offsets = [...screen.matchAll(/^[ ›]*\d+ +(\d+) +\d\d:\d\d:\d\d\.\d{3} /gm)].map((m) => Number(m[1]))
    const pct = (ms) => (ms / 1000 / seconds) * 100
    return {
      tailArgs,
      ratePerSec,
      producedPerSec: sentMeasured / seconds,
      measuredSeconds: seconds,
      sent: state.sent,
      produced,
      tailCpuPct: pct(tailCpuMs),
      consumeCpuPct: pct(consumeCpuMs),
      uiCpuPct: pct(uiCpuMs),
      uiScreen,
      ratio: tailCpuMs / consumeCpuMs,
      keyPauseMs: pauseMs,
      keyFollowMs: followMs,
      screenRecords: shownRecords,
      screenMaxOffset: offsets.length > 0 ? Math.max(...offsets) : undefined,
      // Each of 3 partitions holds about a third of what was produced: the newest offset shown
      // should be near that (records are keyed by nothing, so kcat spreads them).
      expectedMaxOffsetAbout: Math.round(state.sent / partitions),
      screen,
      producerErrors: /ERROR/.test(producerErr) ? producerErr.slice(-500) : undefined,
    }
  } finally {
    for (const s of [session, uiSession]) {
      try {
        tmux('send-keys', '-t', s, 'q')
        await sleep(500)
        tmux('kill-session', '-t', s)
      } catch {
        // already gone
      }
    }
    producer.kill('SIGKILL')
    consume.kill('SIGTERM')
    await Promise.race([exited(consume), sleep(5_000)])
    consume.kill('SIGKILL')
    if (consume.exitCode !== null && consume.exitCode !== 0 && consume.exitCode !== 143) process.stderr.write(`bench: consume: ${consumeErr}\n`)
  }
}

/** The figures as a few lines for the bench's report. */
export function formatTail(t) {
  if (t === undefined) return ''
  const f = (x, d = 1) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d))
  return [
    `tail under load: ${Math.round(t.producedPerSec).toLocaleString('en-US')} records/s for ${f(t.measuredSeconds)} s (3 partitions)${t.tailArgs?.length ? `, tail ${t.tailArgs.join(' ')}` : ''}`,
    `  sluice tail (tmux 120x30)        ${f(t.tailCpuPct)}% of a core`,
    `  sluice consume --from latest     ${f(t.consumeCpuPct)}% of a core (> /dev/null, the reference)`,
    `  ratio tail / consume             ${f(t.ratio, 2)}`,
    `  sluice ui (tmux 160x45)          ${f(t.uiCpuPct)}% of a core (the dashboard over the same window)`,
    `  key answered under load          space->paused ${f(t.keyPauseMs, 0)} ms, space->following ${f(t.keyFollowMs, 0)} ms`,
    `  screen at the end                ${t.screenRecords.toLocaleString('en-US')} records counted of ${t.sent.toLocaleString('en-US')} sent; newest offset shown ${t.screenMaxOffset ?? 'none'} (about ${t.expectedMaxOffsetAbout} expected)`,
  ].join('\n')
}
