#!/usr/bin/env node
/**
 * Runs kafkajs's own integration tests (a checkout of its source, with its dev dependencies
 * installed) against a sluice daemon started from this tree's dist/ in a temporary home, and
 * prints pass/fail counts per file and the name of every failing test.
 *
 *   node test/tools/kafkajs-suite.mjs --src /work/kafkajs-src [--out result.json] [spec files...]
 *
 * Without spec files it runs the transaction set (TRANSACTION_SPECS below). kafkajs's test helpers
 * hard-code plaintext brokers on localhost:9092, 9095 and 9098 (its docker-compose layout), while a
 * sluice daemon listens on consecutive ports: the daemon takes 9092-9094 and this script forwards
 * 9095 -> 9093 and 9098 -> 9094 byte for byte. Brokers advertise 9092-9094 in Metadata, so after
 * bootstrap the clients talk to the daemon directly. Jest runs in band (the machine is shared).
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = path.join(REPO_ROOT, 'bin', 'run.js')

/** kafkajs 2.2.4's integration tests that exercise transactions (whole files: jest runs files). */
export const TRANSACTION_SPECS = [
  'src/broker/__tests__/initProducerId.spec.js',
  'src/broker/__tests__/addPartitionsToTxn.spec.js',
  'src/broker/__tests__/addOffsetsToTxn.spec.js',
  'src/broker/__tests__/txnOffsetCommit.spec.js',
  'src/broker/__tests__/endTxn.spec.js',
  'src/broker/__tests__/fetch.spec.js',
  'src/cluster/__tests__/findGroupCoordinator.spec.js',
  'src/producer/index.spec.js',
  'src/producer/__tests__/concurrentTransaction.spec.js',
  'src/consumer/__tests__/consumeMessages.spec.js',
  'src/consumer/__tests__/controlBatches.spec.js',
  'src/consumer/__tests__/instrumentationEvents.spec.js',
]

/** The docker-compose ports kafkajs's helpers use, and the daemon broker each one forwards to. */
const FORWARDS = [
  { listen: 9095, to: 9093 },
  { listen: 9098, to: 9094 },
]

function parseArgs(argv) {
  const args = { src: '/work/kafkajs-src', out: undefined, specs: [] }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--src') args.src = argv[++i]
    else if (argv[i] === '--out') args.out = argv[++i]
    else args.specs.push(argv[i])
  }
  if (args.specs.length === 0) args.specs = TRANSACTION_SPECS
  return args
}

function forward(listenPort, toPort) {
  const server = net.createServer((client) => {
    const upstream = net.connect(toPort, '127.0.0.1')
    client.pipe(upstream).pipe(client)
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(listenPort, '127.0.0.1', () => resolve(server))
  })
}

function sluice(home, ...argv) {
  return spawnSync(process.execPath, [BIN, ...argv], { env: { ...process.env, SLUICE_HOME: home }, encoding: 'utf8' })
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafkajs-suite-'))
  const started = sluice(home, 'daemon', 'start', '--json', '--brokers', '3', '--port', '9092')
  if (started.status !== 0) throw new Error(`daemon start failed: ${started.stdout} ${started.stderr}`)
  const servers = await Promise.all(FORWARDS.map((f) => forward(f.listen, f.to)))
  // The forwarders live in this process, so jest runs as a child we wait for asynchronously.
  const out = args.out ?? path.join(os.tmpdir(), `kafkajs-suite-${process.pid}.json`)
  try {
    const jest = path.join(args.src, 'node_modules', '.bin', 'jest')
    const child = spawn(
      jest,
      ['--runInBand', '--forceExit', '--json', `--outputFile=${out}`, ...args.specs],
      { cwd: args.src, env: { ...process.env, KAFKA_VERSION: '2.4', NODE_ENV: 'test' }, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    await new Promise((resolve) => child.on('exit', resolve))
    if (!fs.existsSync(out)) throw new Error(`jest wrote no result: ${stderr.slice(-4000)}`)
    report(JSON.parse(fs.readFileSync(out, 'utf8')), args.src)
  } finally {
    for (const s of servers) s.close()
    sluice(home, 'daemon', 'stop')
    fs.rmSync(home, { recursive: true, force: true })
  }
}

function report(result, src) {
  console.log(`kafkajs suite: ${result.numPassedTests} passed, ${result.numFailedTests} failed, ${result.numPendingTests} skipped (${result.numTotalTests} tests)`)
  for (const file of result.testResults) {
    const tests = file.assertionResults
    const count = (status) => tests.filter((t) => t.status === status).length
    console.log(`  ${path.relative(src, file.name)}: ${count('passed')} passed, ${count('failed')} failed, ${count('pending')} skipped`)
    for (const t of tests.filter((t) => t.status === 'failed')) {
      const why = (t.failureMessages[0] ?? '').split('\n')[0].slice(0, 160)
      console.log(`    FAIL ${t.fullName}  -- ${why}`)
    }
    if (tests.length === 0 && file.message) console.log(`    FILE FAILED ${file.message.split('\n').slice(0, 3).join(' ')}`)
  }
}

await main()
