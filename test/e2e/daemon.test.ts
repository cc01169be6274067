/**
 * The daemon lifecycle through the built binary: start, status, stop, logs, stale-lock recovery,
 * two homes side by side, concurrent first use, and the CLI's exit codes.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import {
  cleanEnv,
  freePortRange,
  HANG_MS,
  REPO_ROOT,
  sluice,
  spawnSluice,
  startDaemon,
  stopDaemon,
  tempHome,
  until,
  type TempHome,
  type TestDaemon,
} from '../helpers/index.js'

const homes: TempHome[] = []
const daemons: TestDaemon[] = []

async function newHome(): Promise<TempHome> {
  const h = await tempHome()
  homes.push(h)
  return h
}

async function newDaemon(brokers = 1): Promise<TestDaemon> {
  const d = await startDaemon({ brokers })
  daemons.push(d)
  return d
}

afterEach(async () => {
  await Promise.all(daemons.splice(0).map(stopDaemon))
})
afterAll(async () => {
  await Promise.all(homes.splice(0).map((h) => h.cleanup()))
})

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A killed daemon may linger as a zombie when nothing reaps it (containers).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\S+ \(.*\) [ZX]/.test(stat)
  } catch {
    return process.platform !== 'linux'
  }
}

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  await until(what, () => (cond() ? true : undefined), HANG_MS, 10)
}

describe('sluice daemon start', () => {
  test('prints the bootstrap address on stdout and every broker listener accepts connections', async () => {
    const home = await newHome()
    const port = await freePortRange(3)
    const r = await sluice(['daemon', 'start', '--brokers', '3', '--port', String(port)], { home: home.path })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(`127.0.0.1:${port}`)
    expect(r.stderr).toMatch(/^sluice: started the daemon/)
    for (let i = 0; i < 3; i++) expect(await connects('127.0.0.1', port + i)).toBe(true)
    const config = JSON.parse(fs.readFileSync(path.join(home.path, 'config.json'), 'utf8'))
    expect(config).toEqual({ host: '127.0.0.1', brokers: [0, 1, 2].map((i) => ({ id: i + 1, port: port + i })), controllers: 3 })
    expect((await sluice(['daemon', 'stop'], { home: home.path })).exitCode).toBe(0)
  })

  test('--json gives bootstrap, brokers, pid and home', async () => {
    const d = await newDaemon(2)
    expect(d.bootstrap).toBe(`127.0.0.1:${d.port}`)
    expect(d.brokers).toEqual([
      { id: 1, host: '127.0.0.1', port: d.port },
      { id: 2, host: '127.0.0.1', port: d.port + 1 },
    ])
    expect(d.pid).toBeGreaterThan(0)
    expect(path.isAbsolute(d.home)).toBe(true)
  })

  test('a second start is a no-op that reports the running daemon and exits 0', async () => {
    const d = await newDaemon()
    const r = await sluice(['daemon', 'start', '--json'], { home: d.home, env: d.env })
    expect(r.exitCode).toBe(0)
    const info = JSON.parse(r.stdout)
    expect(info).toMatchObject({ pid: d.pid, bootstrap: d.bootstrap, started: false })
    expect(r.stderr).toMatch(/already running/)
  })

  test('a port in use fails the start with exit 3 and the log lines that explain it', async () => {
    const home = await newHome()
    const port = await freePortRange(1)
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()))
    try {
      const r = await sluice(['daemon', 'start', '--json'], { home: home.path, env: { SLUICE_PORT: String(port), SLUICE_BROKERS: '1' } })
      expect(r.exitCode).toBe(3)
      const { error } = JSON.parse(r.stdout)
      expect(error.code).toBe('DAEMON_START_FAILED')
      expect(error.message).toMatch(new RegExp(`port ${port} .*in use`))
      expect(error.details.join('\n')).toMatch(/ERROR/)
      expect(fs.existsSync(path.join(home.path, 'daemon.pid'))).toBe(false)
    } finally {
      blocker.close()
    }
  })
})

describe('sluice daemon status', () => {
  test('--json reports pid, state, bootstrap and the brokers', async () => {
    const d = await newDaemon(2)
    const r = await sluice(['daemon', 'status', '--json'], { home: d.home })
    expect(r.exitCode).toBe(0)
    const status = JSON.parse(r.stdout)
    expect(status).toMatchObject({ pid: d.pid, state: 'ready', bootstrap: d.bootstrap })
    expect(status.home).toBe(d.home)
    expect(typeof status.uptimeMs).toBe('number')
    expect(status.cluster.brokers.map((b: { port: number }) => b.port)).toEqual([d.port, d.port + 1])
  })

  test('without a daemon: exit 3, DAEMON_NOT_RUNNING on stdout with --json, one line on stderr without', async () => {
    const home = await newHome()
    const json = await sluice(['daemon', 'status', '--json'], { home: home.path })
    expect(json.exitCode).toBe(3)
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'DAEMON_NOT_RUNNING', message: expect.stringMatching(/not running/) },
    })
    const human = await sluice(['daemon', 'status'], { home: home.path })
    expect(human.exitCode).toBe(3)
    expect(human.stdout).toBe('')
    expect(human.stderr.trim().split('\n')).toHaveLength(1)
    expect(human.stderr).toMatch(/^sluice: /)
  })
})

describe('sluice daemon stop', () => {
  test('stops gracefully: the process exits, pid file and socket are removed, ports are free', async () => {
    const d = await startDaemon({ brokers: 2 })
    const r = await sluice(['daemon', 'stop', '--json'], { home: d.home })
    expect(r.exitCode).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ stopped: true, pid: d.pid, killed: false })
    expect(alive(d.pid)).toBe(false)
    const left = fs.readdirSync(d.home)
    for (const f of ['daemon.pid', 'daemon.pid.owner', 'control.sock']) expect(left).not.toContain(f)
    expect(await connects('127.0.0.1', d.port)).toBe(false)
    const again = await sluice(['daemon', 'stop'], { home: d.home })
    expect(again.exitCode).toBe(0)
    expect(again.stderr).toMatch(/not running/)
    await d.tempHome?.cleanup()
  })
})

test('two homes run side by side on different ports', async () => {
  const [a, b] = await Promise.all([newDaemon(), newDaemon()])
  expect(a.pid).not.toBe(b.pid)
  expect(a.port).not.toBe(b.port)
  for (const d of [a, b]) {
    const status = JSON.parse((await sluice(['daemon', 'status', '--json'], { home: d.home })).stdout)
    expect(status).toMatchObject({ pid: d.pid, bootstrap: d.bootstrap })
  }
})

test('a stale pid file left by kill -9 is recovered by the next start', async () => {
  const d = await newDaemon()
  process.kill(d.pid, 'SIGKILL')
  await waitUntil(() => !alive(d.pid), 'the daemon to die')
  expect(fs.existsSync(path.join(d.home, 'daemon.pid'))).toBe(true)
  expect((await sluice(['daemon', 'status'], { home: d.home })).exitCode).toBe(3)
  const r = await sluice(['daemon', 'start', '--json'], { home: d.home, env: d.env })
  expect(r.exitCode, r.stderr).toBe(0)
  const info = JSON.parse(r.stdout)
  expect(info.started).toBe(true)
  expect(info.pid).not.toBe(d.pid)
  expect(info.bootstrap).toBe(d.bootstrap)
  expect(fs.readFileSync(path.join(d.home, 'daemon.pid'), 'utf8').trim()).toBe(String(info.pid))
  expect(await connects('127.0.0.1', d.port)).toBe(true)
})

test('the control socket is mode 0600', async () => {
  const d = await newDaemon()
  const stat = fs.statSync(path.join(d.home, 'control.sock'))
  expect(stat.isSocket()).toBe(true)
  expect(stat.mode & 0o777).toBe(0o600)
})

test('a home keeps its brokers: --first-broker-id 0 numbers them from 0, later starts bring the same ids back, --port moves them', async () => {
  const home = await newHome()
  const port = await freePortRange(2)
  const first = await sluice(['daemon', 'start', '--brokers', '2', '--first-broker-id', '0', '--port', String(port), '--json'], { home: home.path })
  expect(first.exitCode, first.stderr).toBe(0)
  expect(JSON.parse(first.stdout).brokers).toEqual([
    { id: 0, host: '127.0.0.1', port },
    { id: 1, host: '127.0.0.1', port: port + 1 },
  ])
  // Kafka sees nodes 0 and 1: a topic's replicas are placed on them.
  const created = await sluice(['topic', 'create', 'zero', '--partitions', '2', '--replication-factor', '2', '--json'], { home: home.path })
  expect(created.exitCode, created.stderr).toBe(0)
  const described = await sluice(['topic', 'describe', 'zero', '--json'], { home: home.path })
  const replicas = (JSON.parse(described.stdout) as { partitions: { replicas: number[] }[] }).partitions.flatMap((p) => p.replicas)
  expect([...new Set(replicas)].sort()).toEqual([0, 1])
  await sluice(['daemon', 'stop'], { home: home.path })
  const second = await sluice(['daemon', 'start', '--brokers', '3', '--json'], { home: home.path })
  expect(second.exitCode, second.stderr).toBe(0)
  expect(JSON.parse(second.stdout).brokers.map((b: { id: number; port: number }) => [b.id, b.port])).toEqual([[0, port], [1, port + 1]])
  expect(second.stderr).toMatch(/--brokers not applied: the home keeps its brokers/)
  await sluice(['daemon', 'stop'], { home: home.path })
  const moved = await freePortRange(2)
  const third = await sluice(['daemon', 'start', '--port', String(moved), '--json'], { home: home.path })
  expect(third.exitCode, third.stderr).toBe(0)
  expect(JSON.parse(third.stdout).brokers.map((b: { id: number; port: number }) => [b.id, b.port])).toEqual([[0, moved], [1, moved + 1]])
  await sluice(['daemon', 'stop'], { home: home.path })
})

describe('usage errors exit 2 with one line', () => {
  test.each([
    [['daemon', 'start', '--no-such-flag']],
    [['daemon', 'start', '--brokers', 'three']],
    [['daemon', 'start', '--brokers', '0']],
    [['daemon', 'logs', '--lines', '-3']],
  ])('sluice %j', async (args) => {
    const home = await newHome()
    const r = await sluice(args, { home: home.path })
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^sluice: /)
  })

  test('an unknown command', async () => {
    // The `sluice: ` form needs the command_not_found hook registered in package.json (oclif.hooks).
    const r = await sluice(['daemon', 'no-such-command'], { home: (await newHome()).path })
    expect(r.exitCode).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  test('a bad SLUICE_PORT is a usage error', async () => {
    const home = await newHome()
    const r = await sluice(['daemon', 'start', '--json'], { home: home.path, env: { SLUICE_PORT: 'x' } })
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout).error.code).toBe('USAGE')
  })
})

describe('sluice daemon logs', () => {
  test('shows the log lines, --lines limits them', async () => {
    const d = await newDaemon()
    const all = await sluice(['daemon', 'logs'], { home: d.home })
    expect(all.exitCode).toBe(0)
    const lines = all.stdout.trim().split('\n')
    expect(lines.some((l) => / INFO  ready /.test(l))).toBe(true)
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) /)
    const one = await sluice(['daemon', 'logs', '--lines', '1'], { home: d.home })
    expect(one.stdout.trim().split('\n')).toEqual([lines.at(-1)])
  })

  test('--follow prints lines written later, and Ctrl-C exits 130', async () => {
    const d = await newDaemon()
    const follow = spawnSluice(['daemon', 'logs', '--follow', '--lines', '1'], { home: d.home })
    let out = ''
    follow.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    // The last line so far is "ready": once it is printed, the follower is following.
    await waitUntil(() => / ready /.test(out), 'the follower to print the last line')
    // The stop writes "stopping" and "stopped" lines that the follower must pick up.
    await sluice(['daemon', 'stop'], { home: d.home })
    await waitUntil(() => / stopped /.test(out), 'the follower to print the stop')
    follow.kill('SIGINT')
    expect((await follow).exitCode).toBe(130)
  })

  test('a closed stdout (| head) ends quietly with exit 0', async () => {
    const home = await newHome()
    fs.mkdirSync(path.join(home.path, 'logs'))
    const line = '2026-11-23T19:00:00.123Z INFO  filler line to overflow the pipe buffer\n'
    fs.writeFileSync(path.join(home.path, 'logs', 'daemon.log'), line.repeat(50_000))
    const r = await execa('bash', ['-c', `node "${path.join(REPO_ROOT, 'bin', 'run.js')}" daemon logs --lines 50000 | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      reject: false,
      env: cleanEnv({}, home.path),
      extendEnv: false,
    })
    expect(r.stdout.trim()).toBe(line.trim())
    expect(r.stderr.trim()).toBe('status=0')
  })
})

describe('starting on first use', () => {
  test('concurrent first uses from two processes start one daemon; one of them says so', async () => {
    const home = await newHome()
    const port = await freePortRange(1)
    const entry = pathToFileURL(path.join(REPO_ROOT, 'dist', 'client', 'daemon.js')).href
    const script = `const { ensureDaemon } = await import(${JSON.stringify(entry)});
      console.log(JSON.stringify(await ensureDaemon({ home: process.env.SLUICE_HOME })))`
    const run = () =>
      execa(process.execPath, ['--input-type=module', '-e', script], {
        reject: false,
        env: cleanEnv({ SLUICE_PORT: String(port), SLUICE_BROKERS: '1' }, home.path),
        extendEnv: false,
      })
    const results = await Promise.all([run(), run()])
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0)
    const outs = results.map((r) => JSON.parse(r.stdout))
    expect(outs.map((o) => o.bootstrap)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`])
    expect(outs.filter((o) => o.started)).toHaveLength(1)
    const notes = results.map((r) => r.stderr).join('')
    expect(notes.match(/sluice: started the local daemon at 127\.0\.0\.1:\d+ \(home .+\)/g)).toHaveLength(1)
    const log = fs.readFileSync(path.join(home.path, 'logs', 'daemon.log'), 'utf8')
    expect(log.match(/ INFO  ready /g)).toHaveLength(1)
    // A third use finds it running.
    const third = await run()
    expect(JSON.parse(third.stdout)).toMatchObject({ started: false })
    expect(third.stderr).toBe('')
    await sluice(['daemon', 'stop'], { home: home.path })
  })

  test('concurrent `daemon start` from four processes: one daemon, every one reports it', async () => {
    const home = await newHome()
    const port = await freePortRange(1)
    const env = { SLUICE_PORT: String(port), SLUICE_BROKERS: '1' }
    const results = await Promise.all([1, 2, 3, 4].map(() => sluice(['daemon', 'start', '--json'], { home: home.path, env })))
    const infos = results.map((r) => {
      expect(r.exitCode, r.stderr).toBe(0)
      return JSON.parse(r.stdout)
    })
    expect(new Set(infos.map((i) => i.pid)).size).toBe(1)
    expect(infos.filter((i) => i.started)).toHaveLength(1)
    await sluice(['daemon', 'stop'], { home: home.path })
  })
})

test('--foreground runs in the CLI process; Ctrl-C stops it cleanly and exits 130', async () => {
  const home = await newHome()
  const port = await freePortRange(1)
  const fg = spawnSluice(['daemon', 'start', '--foreground'], { home: home.path, env: { SLUICE_PORT: String(port), SLUICE_BROKERS: '1' } })
  let out = ''
  fg.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  await waitUntil(() => out.includes('\n'), 'the foreground daemon to print its bootstrap')
  expect(out.trim()).toBe(`127.0.0.1:${port}`)
  const status = JSON.parse((await sluice(['daemon', 'status', '--json'], { home: home.path })).stdout)
  expect(status.pid).toBe(fg.pid)
  fg.kill('SIGINT')
  const r = await fg
  expect(r.exitCode).toBe(130)
  expect(String(r.stderr)).toMatch(/INFO  stopped reason=SIGINT/)
  expect(fs.existsSync(path.join(home.path, 'daemon.pid'))).toBe(false)
  expect(fs.existsSync(path.join(home.path, 'control.sock'))).toBe(false)
})
