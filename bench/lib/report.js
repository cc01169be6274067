/**
 * The figures as a table, and the issue's targets as pass/fail. A missed target is reported, never
 * an error: the bench fails only when a step itself fails.
 */

const fmtRate = (r) => (r === undefined ? 'n/a' : `${Math.round(r.recordsPerSec).toLocaleString('en-US')} rec/s`)
const fmtSecs = (r) => (r === undefined ? '' : `${r.seconds.toFixed(2)} s`)
const pct = (x) => `${(x * 100).toFixed(0)}%`
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : 'n/a')

const mb = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MB` : 'n/a')

/**
 * The targets (docs/performance.md, "The targets"), evaluated on the figures; `actual` is undefined
 * when a step did not run (`--only` runs part of the bench: `formatReport` then shows only the
 * targets it measured).
 */
export function evaluateTargets(f) {
  const ratio = (a, b) => (a && b ? a.recordsPerSec / b.recordsPerSec : undefined)
  const produce = f.produce ?? {}
  const consume = f.consume ?? {}
  const rate = f.latency?.ratePerSec ?? 10000
  const targets = [
    { name: 'kcat->sluice / kcat->mock', want: '>= 60%', actual: ratio(produce.kcatSluice, produce.kcatMock), ok: (x) => x >= 0.6, show: pct },
    { name: 'sluice produce / kcat->sluice', want: '>= 50%', actual: ratio(produce.sluice, produce.kcatSluice), ok: (x) => x >= 0.5, show: pct },
    { name: 'kcat->sluice replication 3 / replication 1', want: '>= 70%', actual: ratio(produce.kcatSluice, produce.kcatSluiceRf1), ok: (x) => x >= 0.7, show: pct },
    { name: 'sluice produce replication 3 / replication 1', want: '>= 50%', actual: ratio(produce.sluice, produce.sluiceRf1), ok: (x) => x >= 0.5, show: pct },
    { name: 'sluice consume / kcat consume', want: '>= 100%', actual: ratio(consume.sluice, consume.kcat), ok: (x) => x >= 1, show: pct },
    { name: `p99 produce->consume @ ${rate}/s`, want: '< 10 ms', actual: f.latency?.p99Ms, ok: (x) => x < 10, show: ms },
    { name: `p99.9 produce->consume @ ${rate}/s`, want: '< 20 ms', actual: f.latency?.p999Ms, ok: (x) => x < 20, show: ms },
    { name: 'daemon peak memory (VmHWM)', want: '< 300 MB', actual: f.memory?.peakMB, ok: (x) => x < 300, show: mb },
    { name: 'daemon idle memory (RSS, fresh)', want: '< 80 MB', actual: f.memory?.idle?.rssMB, ok: (x) => x < 80, show: mb },
    { name: 'daemon start to ready (median)', want: '< 1000 ms', actual: f.startup?.medianMs, ok: (x) => x < 1000, show: ms },
  ]
  return targets.map((t) => ({
    name: t.name,
    want: t.want,
    actual: t.actual,
    shown: t.actual === undefined || Number.isNaN(t.actual) ? 'n/a' : t.show(t.actual),
    result: t.actual === undefined || Number.isNaN(t.actual) ? 'not measured' : t.ok(t.actual) ? 'PASS' : 'MISS',
  }))
}

/**
 * The rows of the step table: label, group and name in the figures, step key (CPU, runs), and the
 * key of `figures.skipped` that explains a missing figure. A run shows the rows of the steps it
 * planned (`figures.steps`).
 */
const ROWS = [
  ['produce: kcat -> mock cluster (reference)', 'produce', 'kcatMock', 'produceKcatMock'],
  ['produce: kcat -> sluice', 'produce', 'kcatSluice', 'produceKcatSluice'],
  ['produce: sluice produce -> sluice', 'produce', 'sluice', 'produceSluice', 'produce'],
  ['produce: kcat -> sluice, replication 1', 'produce', 'kcatSluiceRf1', 'produceKcatSluiceRf1'],
  ['produce: sluice produce, replication 1', 'produce', 'sluiceRf1', 'produceSluiceRf1', 'produce'],
  ['produce: kcat -> sluice, --fsync', 'produce', 'kcatSluiceFsync', 'produceKcatSluiceFsync', 'fsync'],
  ['consume: kcat -C -e -J <- sluice', 'consume', 'kcat', 'consumeKcat'],
  ['consume: same, queued.min.messages raised', 'consume', 'kcatPrefetch', 'consumeKcatPrefetch'],
  ['consume: sluice consume --exit <- sluice', 'consume', 'sluice', 'consumeSluice', 'consume'],
]

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

// Two /proc reads are not one snapshot: clamp the tiny negative differences that can give.
const cpuS = (x) => (x === undefined || !Number.isFinite(x) ? '' : `${Math.max(x, 0).toFixed(2)} s`)

/** A latency step's line, at whichever rate it ran. */
function latencyLines(l) {
  return [
    `latency @ ${l.ratePerSec.toLocaleString('en-US')} rec/s for ${l.measuredSeconds} s (kcat -P linger.ms=${l.lingerMs ?? 0} acks=all -> kcat -C): ` +
      `p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)}, p99.9 ${ms(l.p999Ms)}, max ${ms(l.maxMs)}; ` +
      `${l.received.toLocaleString('en-US')}/${l.sent.toLocaleString('en-US')} received, ${l.duplicates} duplicates`,
    `  (control: the bench's own 1 ms timer was late by p99 ${ms(l.pacerLagP99Ms)}, max ${ms(l.pacerLagMaxMs)}: the machine's scheduling noise)`,
  ]
}

function memoryLines(m) {
  const lines = [
    `daemon memory: idle ${mb(m.idle?.rssMB)} (RSS of the fresh daemon after ${m.idle?.idleSeconds ?? '?'} s), ` +
      `peak ${mb(m.peakMB)} (VmHWM through the run)` +
      (m.idleEnd ? `, ${mb(m.idleEnd.rssMB)} at the end (RSS after ${m.idleEnd.idleSeconds} s idle)` : ''),
  ]
  if (m.peakAnonMB) {
    lines.push(
      `  of which, sampled every 100 ms: anonymous (heaps, memtables, buffers) at most ${mb(m.peakAnonMB)}, ` +
        `file-backed (LevelDB's table files, read through mmap: the OS's page cache) at most ${mb(m.peakFileMB)}`,
    )
  }
  if (m.fsyncDaemon) lines.push(`  (the --fsync row's own daemon: peak ${mb(m.fsyncDaemon.peakMB)}, not counted above)`)
  return lines
}

/**
 * The report of a run: the steps it planned as a table, the latency lines, and the targets (all of
 * them for the full run, those it measured for `--only produce|latency`).
 */
export function formatReport(f, targets) {
  const out = []
  const load = f.loadAverage?.start?.[0]
  out.push(
    `sluice bench${f.only ? ` --only ${f.only}` : ''}: ` +
      (f.records === undefined ? '' : `${f.records.toLocaleString('en-US')} lines of ${f.avgLineBytes.toFixed(0)} bytes into ${f.partitions} partitions, `) +
      `${f.machine.cpus} CPUs (${f.machine.cpuModel}), node ${f.machine.node}, ${f.machine.kcat}` +
      (load === undefined ? '' : `, load average ${load.toFixed(1)} at the start`) +
      (f.rounds > 1 ? `; rates are the best of ${f.rounds} rounds` : ''),
    '',
  )
  const row = ([label, group, name, key, skippedKey]) => {
    const r = f[group]?.[name]
    const d = f.daemonCpuMs?.[key]
    const total = r?.clientCpuS === undefined || !d ? undefined : r.clientCpuS + Math.max(d.mainMs + d.otherMs, 0) / 1000
    return [
      label,
      fmtRate(r),
      fmtSecs(r),
      cpuS(r?.clientCpuS),
      d && r ? `${cpuS(d.mainMs / 1000)} + ${cpuS(d.otherMs / 1000)}` : '',
      cpuS(total),
      r === undefined ? (f.skipped?.[skippedKey] ?? 'not available') : '',
    ]
  }
  const rows = ROWS.filter(([, , , key]) => f.steps?.includes(key))
  if (rows.length > 0) {
    out.push(table(['step', 'rate', 'time', 'tool CPU', 'daemon CPU (JS + threads)', 'all CPU', 'note'], rows.map(row)), '')
  }
  for (const l of [f.latency, f.latency50k]) if (l) out.push(...latencyLines(l))
  if (f.startup) {
    out.push(
      `daemon start to ready: median ${ms(f.startup.medianMs)} over ${f.startup.runsMs.length} runs ` +
        `(first, fresh home: ${ms(f.startup.runsMs[0])}; all: ${f.startup.runsMs.map((x) => x.toFixed(0)).join(', ')} ms)`,
    )
  }
  for (const r of Object.values(f.failover ?? {})) {
    out.push(
      `failover, ${r.clean ? 'clean kill (broker kill --clean)' : 'hard kill (a crash; session timeout 9 s)'} of partition 0's leader ${r.from} -> ${r.to}: ` +
        `partition 0 took no acks=all write for ${ms(r.unavailableMs)} (${r.failedSends} failed probe sends)`,
    )
  }
  if (f.memory) out.push(...memoryLines(f.memory))
  const ceiling = ceilingOf(f)
  if (ceiling) out.push(...ceilingLines(f, ceiling))
  const informational = f.consume?.sluice && f.consume?.kcatPrefetch
    ? [['(info) sluice consume / kcat, queue limit raised', '-', pct(f.consume.sluice.recordsPerSec / f.consume.kcatPrefetch.recordsPerSec), '']]
    : []
  if (ceiling) informational.push(['(info) kcat->sluice ceiling here / kcat->mock', '-', pct(ceiling.ratio), ''])
  if (ceiling?.replicationRatio !== undefined) informational.push(['(info) replication 3 / 1, both at their ceilings', '-', pct(ceiling.replicationRatio), ''])
  const shown = f.only ? targets.filter((t) => t.result !== 'not measured') : targets
  out.push('', table(['target', 'wanted', 'measured', 'result'], [...shown.map((t) => [t.name, t.want, t.shown, t.result]), ...informational]))
  return out.join('\n')
}

/**
 * The most kcat into sluice can reach on this machine, at replication 3 and 1: the records over the
 * CPU kcat itself used in that step plus what LevelDB alone needs to write the same records to as
 * many replicas, spread over every core with nothing else running. An upper bound for any broker
 * that keeps every batch in LevelDB on every replica: sluice's storage layer, its request path and
 * its replication cost more, and the cores are never all its own.
 */
export function ceilingOf(f) {
  const mock = f.produce?.kcatMock
  const floor = f.storageFloor
  if (!floor || !mock || !f.records) return undefined
  const one = (leveldb, sluice, step) => {
    if (!leveldb || step?.clientCpuS === undefined) return undefined
    const scaled = (x) => (x.cpuSeconds * f.records) / x.records
    const floorCpuS = scaled(leveldb)
    return {
      leveldb,
      floorCpuS,
      sluiceStorageCpuS: sluice ? scaled(sluice) : undefined,
      kcatCpuS: step.clientCpuS,
      recordsPerSec: f.records / ((step.clientCpuS + floorCpuS) / f.machine.cpus),
    }
  }
  const rf3 = one(floor.leveldbRf3, floor.rf3, f.produce.kcatSluice)
  const rf1 = one(floor.leveldbRf1, floor.rf1, f.produce.kcatSluiceRf1)
  if (!rf3) return undefined
  return { rf3, rf1, ratio: rf3.recordsPerSec / mock.recordsPerSec, replicationRatio: rf1 ? rf3.recordsPerSec / rf1.recordsPerSec : undefined }
}

function ceilingLines(f, c) {
  const line = (name, x) =>
    `  ${name}: LevelDB ${x.floorCpuS.toFixed(2)} CPU-s (main thread ${x.leveldb.mainThreadCpuSeconds.toFixed(2)}, its threads ` +
    `${x.leveldb.otherThreadsCpuSeconds.toFixed(2)}) + kcat's own ${x.kcatCpuS.toFixed(2)} CPU-s: at most ` +
    `${Math.round(x.recordsPerSec).toLocaleString('en-US')} rec/s on ${f.machine.cpus} cores` +
    (x.sluiceStorageCpuS === undefined ? '' : ` (sluice's storage layer alone: ${x.sluiceStorageCpuS.toFixed(2)} CPU-s)`)
  return [
    `ceiling of kcat -> sluice here (bench/storage.mjs --floor: LevelDB alone writing the same records to each replica, no network, no sluice):`,
    line('replication 3', c.rf3),
    ...(c.rf1 ? [line('replication 1', c.rf1)] : []),
    `  so kcat->sluice / kcat->mock can reach at most ${pct(c.ratio)} in this run` +
      (c.replicationRatio === undefined ? '' : `, replication 3 / 1 about ${pct(c.replicationRatio)} (both at their ceilings)`),
  ]
}
