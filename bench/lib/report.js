/**
 * The figures as a table, and the targets as pass/fail. A missed target is reported, never
 * an error: the bench fails only when a step itself fails.
 */

const fmtRate = (r) => (r === undefined ? 'n/a' : `${Math.round(r.recordsPerSec).toLocaleString('en-US')} rec/s`)
const fmtSecs = (r) => (r === undefined ? '' : `${r.seconds.toFixed(2)} s`)
const pct = (x) => `${(x * 100).toFixed(0)}%`
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : 'n/a')

/** The targets of issue 3, evaluated on the figures; `actual` is undefined when a step did not run. */
export function evaluateTargets(f) {
  const ratio = (a, b) => (a && b ? a.recordsPerSec / b.recordsPerSec : undefined)
  const targets = [
    { name: 'kcat->sluice / kcat->mock', want: '>= 60%', actual: ratio(f.produce.kcatSluice, f.produce.kcatMock), ok: (x) => x >= 0.6, show: pct },
    { name: 'sluice produce / kcat->sluice', want: '>= 50%', actual: ratio(f.produce.sluice, f.produce.kcatSluice), ok: (x) => x >= 0.5, show: pct },
    { name: 'kcat->sluice replication 3 / replication 1', want: '>= 50%', actual: ratio(f.produce.kcatSluice, f.produce.kcatSluiceRf1), ok: (x) => x >= 0.5, show: pct },
    { name: 'sluice produce replication 3 / replication 1', want: '>= 50%', actual: ratio(f.produce.sluice, f.produce.sluiceRf1), ok: (x) => x >= 0.5, show: pct },
    { name: 'sluice consume / kcat consume', want: '>= 100%', actual: ratio(f.consume.sluice, f.consume.kcat), ok: (x) => x >= 1, show: pct },
    { name: `p99 produce->consume @ ${f.latency?.ratePerSec ?? 10000}/s`, want: '< 10 ms', actual: f.latency?.p99Ms, ok: (x) => x < 10, show: ms },
    { name: 'daemon start to ready (median)', want: '< 1000 ms', actual: f.startup?.medianMs, ok: (x) => x < 1000, show: ms },
  ]
  return targets.map((t) => ({
    name: t.name,
    want: t.want,
    actual: t.actual,
    shown: t.actual === undefined ? 'n/a' : t.show(t.actual),
    result: t.actual === undefined ? 'not measured' : t.ok(t.actual) ? 'PASS' : 'MISS',
  }))
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

// Two /proc reads are not one snapshot: clamp the tiny negative differences that can give.
const cpuS = (x) => (x === undefined || !Number.isFinite(x) ? '' : `${Math.max(x, 0).toFixed(2)} s`)

export function formatReport(f, targets) {
  const out = []
  const load = f.loadAverage?.start?.[0]
  out.push(
    `sluice bench: ${f.records.toLocaleString('en-US')} lines of ${f.avgLineBytes.toFixed(0)} bytes into ${f.partitions} partitions, ` +
      `${f.machine.cpus} CPUs (${f.machine.cpuModel}), node ${f.machine.node}, ${f.machine.kcat}` +
      (load === undefined ? '' : `, load average ${load.toFixed(1)} at the start`) +
      (f.rounds > 1 ? `; rates are the best of ${f.rounds} rounds` : ''),
    '',
  )
  const row = (label, r, key, why) => {
    const d = f.daemonCpuMs?.[key]
    const total = r?.clientCpuS === undefined || !d ? undefined : r.clientCpuS + Math.max(d.mainMs + d.otherMs, 0) / 1000
    return [
      label,
      fmtRate(r),
      fmtSecs(r),
      cpuS(r?.clientCpuS),
      d && r ? `${cpuS(d.mainMs / 1000)} + ${cpuS(d.otherMs / 1000)}` : '',
      cpuS(total),
      r === undefined ? why ?? 'not available' : '',
    ]
  }
  out.push(
    table(
      ['step', 'rate', 'time', 'tool CPU', 'daemon CPU (JS + threads)', 'all CPU', 'note'],
      [
        row('produce: kcat -> mock cluster (reference)', f.produce.kcatMock, 'produceKcatMock'),
        row('produce: kcat -> sluice', f.produce.kcatSluice, 'produceKcatSluice'),
        row('produce: sluice produce -> sluice', f.produce.sluice, 'produceSluice', f.skipped.produce),
        row('produce: kcat -> sluice, replication 1', f.produce.kcatSluiceRf1, 'produceKcatSluiceRf1'),
        row('produce: sluice produce, replication 1', f.produce.sluiceRf1, 'produceSluiceRf1', f.skipped.produce),
        row('consume: kcat -C -e -J <- sluice', f.consume.kcat, 'consumeKcat'),
        row('consume: same, queued.min.messages raised', f.consume.kcatPrefetch, 'consumeKcatPrefetch'),
        row('consume: sluice consume --exit <- sluice', f.consume.sluice, 'consumeSluice', f.skipped.consume),
      ],
    ),
    '',
  )
  if (f.latency) {
    const l = f.latency
    out.push(
      `latency @ ${l.ratePerSec.toLocaleString('en-US')} rec/s for ${l.measuredSeconds} s (kcat -P linger.ms=${l.lingerMs ?? 0} acks=all -> kcat -C): ` +
        `p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)}, p99.9 ${ms(l.p999Ms)}, max ${ms(l.maxMs)}; ` +
        `${l.received.toLocaleString('en-US')}/${l.sent.toLocaleString('en-US')} received, ${l.duplicates} duplicates`,
      `  (control: the bench's own 1 ms timer was late by p99 ${ms(l.pacerLagP99Ms)}, max ${ms(l.pacerLagMaxMs)}: the machine's scheduling noise)`,
    )
  }
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
  if (f.memory) out.push(`daemon peak memory (VmHWM): ${f.memory.peakMB.toFixed(0)} MB (RSS at the end ${f.memory.rssMB.toFixed(0)} MB)`)
  const informational = f.consume.sluice && f.consume.kcatPrefetch
    ? [['(info) sluice consume / kcat, queue limit raised', '-', pct(f.consume.sluice.recordsPerSec / f.consume.kcatPrefetch.recordsPerSec), '']]
    : []
  out.push('', table(['target', 'wanted', 'measured', 'result'], [...targets.map((t) => [t.name, t.want, t.shown, t.result]), ...informational]))
  return out.join('\n')
}
