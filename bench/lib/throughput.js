/**
 * The throughput steps: 1M lines produced with acks=all by kcat into librdkafka's in-memory mock
 * cluster (the reference), by kcat into sluice and by `sluice produce`; then read to the end by
 * `kcat -C -e -J` and `sluice consume --exit`. Each step checks its count: a fast wrong answer
 * fails the bench.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { BIN, cleanEnv, REPO_ROOT, sluice } from './daemon.js'
import { check, run } from './proc.js'
import { recordCount } from './topics.js'

export const PARTITIONS = 3

/** Records librdkafka reported delivered, from its `debug=msg` lines (a few hundred lines per 1M records). */
function deliveredByKcat(stderr) {
  let delivered = 0
  for (const m of stderr.matchAll(/MessageSet with (\d+) message\(s\) \([^)]*\) delivered/g)) delivered += Number(m[1])
  return delivered
}

/** Rate of a run; `clientCpuS` is the CPU the tool itself used (user + sys), when known. */
function throughput(records, r) {
  const clientCpuS = r.cpu ? r.cpu.userS + r.cpu.sysS : undefined
  return { records, seconds: r.ms / 1000, recordsPerSec: records / (r.ms / 1000), clientCpuS, clientMaxRssMB: r.cpu?.maxRssMB }
}

function expectCount(what, got, want) {
  if (got !== want) throw new Error(`${what}: ${got} records where ${want} were expected`)
}

/** kcat -P, acks=all, exiting only once every message is delivered (kcat flushes before exit). */
async function kcatProduce(brokerArgs, topic, file, records, what) {
  const r = check(
    await run('kcat', [...brokerArgs, '-P', '-t', topic, '-X', 'acks=all', '-X', 'debug=msg'], { stdinFile: file }),
    what,
  )
  // kcat's own errors start with '% ERROR'; librdkafka logs errors at syslog levels 0-3 ('%3|...').
  if (/^% ERROR|Failed to produce|^%[0-3]\|/m.test(r.stderr)) throw new Error(`${what} reported errors:\n${r.stderr.slice(-2000)}`)
  expectCount(`${what} (delivery reports)`, deliveredByKcat(r.stderr), records)
  return throughput(records, r)
}

export function produceKcatMock(file, records) {
  // A bootstrap of "x" is ignored: test.mock.num.brokers starts 3 mock brokers inside kcat.
  return kcatProduce(['-b', 'x', '-X', 'test.mock.num.brokers=3'], 'bench', file, records, 'kcat -P into the mock cluster')
}

export async function produceKcatSluice(daemon, topic, file, records) {
  const result = await kcatProduce(['-b', daemon.bootstrap], topic, file, records, 'kcat -P into sluice')
  expectCount('kcat -P into sluice (log end offsets)', await recordCount(daemon.bootstrap, topic, PARTITIONS), records)
  return result
}

/**
 * True once `sluice <command>` is in the build (produce and consume land separately). The oclif
 * manifest is what the CLI dispatches on, and `npm run build` writes it only when tsc succeeds.
 */
export function sluiceHas(command) {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'oclif.manifest.json'), 'utf8'))
    return Object.hasOwn(manifest.commands ?? {}, command)
  } catch {
    return false
  }
}

/**
 * True when `sluice <command...> --help` lists `--<flag>`: a flag that lands on another branch
 * (`daemon start --fsync`) is measured once it is in the build, and its row skipped before.
 */
export function sluiceHasFlag(command, flag) {
  try {
    const help = execFileSync(process.execPath, [BIN, ...command, '--help'], { cwd: REPO_ROOT, env: cleanEnv(), encoding: 'utf8' })
    return new RegExp(`--${flag}\\b`).test(help)
  } catch {
    return false
  }
}

export async function produceSluice(daemon, topic, file, records) {
  const r = check(
    await sluice(['produce', topic, '--bootstrap-server', daemon.bootstrap, '--acks', 'all'], { env: daemon.env, stdinFile: file }),
    'sluice produce',
  )
  expectCount('sluice produce (log end offsets)', await recordCount(daemon.bootstrap, topic, PARTITIONS), records)
  return throughput(records, r)
}

/**
 * kcat -C -e -J. With librdkafka's defaults a partition stops fetching once 100,000 messages wait
 * in its queue (queued.min.messages) and is looked at again only a second later, so a broker that
 * answers fast spends most of the run idle: `prefetchAll` lifts that limit, to measure how fast
 * sluice serves the records rather than kcat's pacing.
 */
export async function consumeKcat(daemon, topic, records, { prefetchAll = false } = {}) {
  const extra = prefetchAll ? ['-X', `queued.min.messages=${Math.max(records, 100_000)}`] : []
  const what = `kcat -C -e -J${prefetchAll ? ' (queued.min.messages raised)' : ''}`
  const r = check(
    await run('kcat', ['-C', '-b', daemon.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q', ...extra], { stdout: 'count' }),
    what,
  )
  expectCount(what, r.lines, records)
  return throughput(records, r)
}

export async function consumeSluice(daemon, topic, records) {
  const r = check(
    await sluice(['consume', topic, '--bootstrap-server', daemon.bootstrap, '--from', 'earliest', '--exit'], {
      env: daemon.env,
      stdout: 'count',
    }),
    'sluice consume',
  )
  expectCount('sluice consume --exit', r.lines, records)
  return throughput(records, r)
}
