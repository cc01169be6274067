/**
 * A daemon run in the foreground under `node --cpu-prof` (`sluice daemon start --foreground`, as
 * the CLI runs it), for profiling: the same interface as BenchDaemon (bootstrap, pid, env), and
 * stop() writes the profile (Node writes it when the process exits normally).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { BIN, cleanEnv, REPO_ROOT } from './daemon.js'
import { freePortRange } from './ports.js'

export class ForegroundDaemon {
  /** profileDir: where --cpu-prof writes; perfMap: --perf-basic-prof instead, so `perf` names JS frames. */
  constructor({ home, profileDir, perfMap = false, brokers = 3 }) {
    this.home = home
    this.perfMap = perfMap
    this.profileDir = profileDir
    this.brokers = brokers
    this.env = cleanEnv({ SLUICE_HOME: home })
  }

  async start(port) {
    this.port = port ?? (await freePortRange(this.brokers))
    const nodeArgs = this.perfMap ? ['--perf-basic-prof'] : this.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${this.profileDir}`] : []
    this.child = spawn(process.execPath, [...nodeArgs, BIN, 'daemon', 'start', '--foreground', '--json'], {
      cwd: REPO_ROOT,
      env: { ...this.env, SLUICE_PORT: String(this.port), SLUICE_BROKERS: String(this.brokers) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    this.child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8192)))
    this.exited = new Promise((resolve) => this.child.once('close', resolve))
    // --foreground --json prints the daemon's info on stdout once every broker listens.
    const info = await new Promise((resolve, reject) => {
      let out = ''
      this.child.stdout.on('data', (d) => {
        out += d
        const nl = out.indexOf('\n')
        if (nl !== -1) resolve(JSON.parse(out.slice(0, nl)))
      })
      void this.exited.then(() => reject(new Error(`the foreground daemon exited before it was ready: ${stderr.trim()}`)))
    })
    this.info = info
    return info
  }

  get bootstrap() {
    return this.info.bootstrap
  }

  get pid() {
    return this.child.pid
  }

  /** Ctrl-C, as a user would: a graceful stop, after which Node writes the CPU profile. */
  async stop() {
    if (!this.child || this.child.exitCode !== null) return
    this.child.kill('SIGINT')
    const done = await Promise.race([this.exited.then(() => true), sleep(30_000).then(() => false)])
    if (!done) this.child.kill('SIGKILL')
  }

  /** The profile files written so far. */
  profiles() {
    if (!this.profileDir || !fs.existsSync(this.profileDir)) return []
    return fs.readdirSync(this.profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => `${this.profileDir}/${f}`)
  }
}
