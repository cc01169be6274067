#!/usr/bin/env node
/**
 * Where a CPU profile's time goes: self time by function and by file, and idle/GC/program time.
 *   node bench/cpuprofile-summary.mjs <file.cpuprofile> [--top 25]
 * (write one with `node --cpu-prof`; bench/profile.js does it for the daemon.)
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

/** Self time in ms per node id, from the sample deltas. */
function selfTimes(profile) {
  const byId = new Map()
  const { samples, timeDeltas } = profile
  for (let i = 0; i < samples.length; i++) {
    byId.set(samples[i], (byId.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0) / 1000)
  }
  return byId
}

function shortUrl(url) {
  if (!url) return '(native)'
  const p = url.replace(/^file:\/\//, '')
  const nm = p.lastIndexOf('node_modules/')
  if (nm !== -1) return p.slice(nm + 'node_modules/'.length)
  const dist = p.indexOf('/dist/')
  if (dist !== -1) return p.slice(dist + 1)
  return p.startsWith('node:') ? p : path.basename(p)
}

export function summarize(profile, top = 25) {
  const self = selfTimes(profile)
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0)
  const fns = new Map()
  const files = new Map()
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0
    if (ms === 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    const file = shortUrl(url)
    const fnKey = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`
    fns.set(fnKey, (fns.get(fnKey) ?? 0) + ms)
    if (functionName !== '(idle)') files.set(file, (files.get(file) ?? 0) + ms)
  }
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1])
  const idleMs = fns.get('(idle)  (native)') ?? 0
  return { totalMs, idleMs, busyMs: totalMs - idleMs, functions: sorted(fns).slice(0, top), files: sorted(files).slice(0, top) }
}

export function formatSummary(s) {
  const pct = (ms) => `${((ms / s.busyMs) * 100).toFixed(1).padStart(5)}%`
  const lines = [`profile: ${(s.totalMs / 1000).toFixed(2)} s sampled, busy ${(s.busyMs / 1000).toFixed(2)} s (idle ${(s.idleMs / 1000).toFixed(2)} s); % of busy time`]
  lines.push('', 'self time by function:')
  for (const [k, ms] of s.functions) if (k !== '(idle)  (native)') lines.push(`  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k}`)
  lines.push('', 'self time by file:')
  for (const [k, ms] of s.files) lines.push(`  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k}`)
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } })
  if (positionals.length !== 1) {
    console.error('usage: node bench/cpuprofile-summary.mjs <file.cpuprofile> [--top N]')
    process.exit(2)
  }
  const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8'))
  console.log(formatSummary(summarize(profile, Number(values.top))))
}
