/**
 * The start-up step (`--only startup`): what one short CLI call costs, the way a shell loop makes
 * it, beside kcat's equivalent. Each command runs `runs` times (interleaved, so a noisy neighbour
 * hits both tools alike) and the median is kept, of CPU (user + system, GNU time) and wall time:
 *
 *   produce one record   sluice produce T  (one line on stdin)   kcat -P -t T  (the same line)
 *   consume, then exit   sluice consume T --exit                 kcat -C -e -t T
 *   list topics          sluice topic list                       kcat -L
 *
 * The topic holds a few records (a small topic), written by kcat before the runs. The target is
 * under 0.25 s of CPU per sluice call (docs/performance.md).
 */
import fs from 'node:fs'
import path from 'node:path'
import { sluice } from './daemon.js'
import { check, run } from './proc.js'
import { createTopic } from './topics.js'

export const STARTUP_CPU_TARGET_S = 0.25
const SMALL_TOPIC_RECORDS = 10

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function figuresOf(results) {
  const cpu = results.map((r) => (r.cpu ? r.cpu.userS + r.cpu.sysS : NaN))
  const wall = results.map((r) => r.ms / 1000)
  return { cpuS: median(cpu), wallS: median(wall), cpuRunsS: cpu, wallRunsS: wall }
}

/** Runs the three pairs `runs` times each against `daemon`; `workDir` holds the one-line input. */
export async function measureStartupCommands(daemon, { runs, workDir, log = () => {} }) {
  const topic = 'bench-startup'
  await createTopic(daemon.bootstrap, topic, 3)
  const line = path.join(workDir, 'one-line.jsonl')
  fs.writeFileSync(line, '{"id":1,"event":"startup"}\n')
  const seed = path.join(workDir, 'small-topic.jsonl')
  fs.writeFileSync(seed, Array.from({ length: SMALL_TOPIC_RECORDS }, (_, i) => `{"id":${i}}\n`).join(''))
  check(await run('kcat', ['-b', daemon.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { stdinFile: seed }), 'kcat -P (seeding the small topic)')

  const env = daemon.env
  const pairs = {
    produce: {
      sluice: () => sluice(['produce', topic], { env, stdinFile: line }),
      kcat: () => run('kcat', ['-b', daemon.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { stdinFile: line }),
    },
    consume: {
      sluice: () => sluice(['consume', topic, '--exit'], { env, stdout: 'count' }),
      kcat: () => run('kcat', ['-b', daemon.bootstrap, '-C', '-e', '-q', '-t', topic], { stdout: 'count' }),
    },
    topicList: {
      sluice: () => sluice(['topic', 'list'], { env }),
      kcat: () => run('kcat', ['-b', daemon.bootstrap, '-L']),
    },
  }
  const out = {}
  for (const [name, tools] of Object.entries(pairs)) {
    log(`startup: ${name} x${runs}, sluice and kcat interleaved`)
    const got = { sluice: [], kcat: [] }
    for (let i = 0; i < runs; i++) {
      for (const tool of ['sluice', 'kcat']) got[tool].push(check(await tools[tool](), `${tool} (${name})`))
    }
    const s = figuresOf(got.sluice)
    const k = figuresOf(got.kcat)
    // GNU time counts in 0.01 s: a kcat call under that reads 0, so the ratio uses 0.01 at least.
    out[name] = { sluice: s, kcat: k, cpuRatio: s.cpuS / Math.max(k.cpuS, 0.01), wallRatio: s.wallS / k.wallS, targetCpuS: STARTUP_CPU_TARGET_S, pass: s.cpuS < STARTUP_CPU_TARGET_S }
  }
  return { runs, commands: out }
}

const COMMAND_LABELS = {
  produce: ['sluice produce T (1 record)', 'kcat -P'],
  consume: [`sluice consume T --exit (${SMALL_TOPIC_RECORDS} records)`, 'kcat -C -e'],
  topicList: ['sluice topic list', 'kcat -L'],
}

/** The step as a table: medians, ratios to kcat, and the CPU target. */
export function formatStartupCommands(startup) {
  const rows = [`start-up of one CLI call (median of ${startup.runs} runs; CPU = user + system)`]
  const pad = (s, n) => `${s} `.padEnd(n)
  rows.push(`  ${pad('command', 48)}${pad('CPU s', 8)}${pad('wall s', 8)}${pad('kcat CPU', 10)}${pad('kcat wall', 11)}${pad('CPU ratio', 11)}target`)
  for (const [name, r] of Object.entries(startup.commands)) {
    const [label, kcatLabel] = COMMAND_LABELS[name]
    rows.push(
      `  ${pad(`${label} / ${kcatLabel}`, 48)}${pad(r.sluice.cpuS.toFixed(3), 8)}${pad(r.sluice.wallS.toFixed(3), 8)}` +
        `${pad(r.kcat.cpuS.toFixed(3), 10)}${pad(r.kcat.wallS.toFixed(3), 11)}${pad(`${r.cpuRatio.toFixed(1)}x`, 11)}` +
        `${r.pass ? 'PASS' : 'MISS'} (< ${r.targetCpuS} s CPU)`,
    )
  }
  return rows.join('\n')
}
