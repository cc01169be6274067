#!/usr/bin/env node
/**
 * Writes the rows of src/cluster/kafka-broker-configs.ts from Kafka's sources: every broker config
 * KafkaConfig defines (AbstractKafkaConfig.CONFIG_DEF's classes), less those src/cluster/broker-configs.ts
 * defines by hand. Usage: node test/tools/kafka-broker-configs.mjs KAFKA_CHECKOUT > rows.txt, with
 * KAFKA_CHECKOUT a 3.9.0 tree of apache/kafka. Defaults the sources compute at run time (JVM
 * properties, enum names) are the FIXES below, read off Kafka 3.9's documentation and sources.
 */
import fs from "node:fs"
import path from "node:path"
// Extracts KafkaConfig's definitions (name, type, default) from Kafka 3.9's sources.
const root = process.argv[2]
const files = []
const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (p.endsWith('.java')) files.push(p) } }
walk(root)
const src = new Map() // class simple name -> text
for (const f of files) src.set(path.basename(f, '.java'), fs.readFileSync(f, 'utf8').replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, ''))
const staticImports = new Map()
for (const [cls, text] of src) staticImports.set(cls, [...text.matchAll(/^import static [\w.]+\.(\w+)\.(\w+|\*);/gm)].map((m) => [m[1], m[2]]))
// constants: class -> name -> expr
const consts = new Map()
for (const [cls, text] of src) {
  const m = new Map()
  for (const c of text.matchAll(/static\s+final\s+[\w<>\[\], ]+?\s+(\w+)\s*=\s*([\s\S]*?);/g)) m.set(c[1], c[2].trim())
  consts.set(cls, m)
}
function splitTop(s) {
  const out = []; let depth = 0, cur = '', q = false
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (q) { cur += ch; if (ch === '\\') { cur += s[++i]; continue } if (ch === '"') q = false; continue }
    if (ch === '"') { q = true; cur += ch; continue }
    if ('([{'.includes(ch)) depth++
    if (')]}'.includes(ch)) depth--
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue }
    cur += ch
  }
  if (cur.trim()) out.push(cur.trim())
  return out
}
const FAIL = Symbol('fail')
function evalExpr(e, cls, depth = 0) {
  if (depth > 20) return FAIL
  e = e.trim()
  while (/^\((int|long|short|double)\)/.test(e)) e = e.replace(/^\((int|long|short|double)\)\s*/, '')
  if (e.startsWith('(') && e.endsWith(')') && splitTop(e.slice(1, -1)).length === 1) { let d = 0, ok = true; for (let i = 0; i < e.length - 1; i++) { if (e[i] === '(') d++; if (e[i] === ')') d--; if (d === 0) { ok = false; break } } if (ok) return evalExpr(e.slice(1, -1), cls, depth + 1) }
  if (e === 'null') return null
  if (e === 'true' || e === 'false') return e === 'true'
  if (/^"([^"\\]|\\.)*"$/.test(e)) return JSON.parse(e)
  if (/^-?[\d_]+(\.\d+)?[LlDdFf]?$/.test(e)) return Number(e.replace(/_/g, '').replace(/[LlDdFf]$/, ''))
  let h = e.match(/^TimeUnit\.MILLISECONDS\.toHours\((.+)\)$/)
  if (h) { const v = evalExpr(h[1], cls, depth + 1); return typeof v === 'number' ? Math.floor(v / 3600000) : FAIL }
  if (/^-?\d+(\.\d+)?[eE]-?\d+$/.test(e)) return Number(e)
  const special = { 'Long.MAX_VALUE': 9223372036854775807n, 'Integer.MAX_VALUE': 2147483647, 'Double.MAX_VALUE': 'DMAX', 'Short.MAX_VALUE': 32767, 'Collections.emptyList()': [], 'Collections.emptySet()': [] }
  if (e in special) return special[e]
  let m = e.match(/^TimeUnit\.(\w+)\.toMillis\((.+)\)$/)
  if (m) { const v = evalExpr(m[2], cls, depth + 1); const f = { SECONDS: 1000, MINUTES: 60000, HOURS: 3600000, DAYS: 86400000, MILLISECONDS: 1 }[m[1]]; return typeof v === 'number' && f ? v * f : FAIL }
  m = e.match(/^(?:Arrays\.asList|List\.of|Collections\.singletonList|Utils\.mkList)\(([\s\S]*)\)$/)
  if (m) { const parts = m[1].trim() === '' ? [] : splitTop(m[1]).map((p) => evalExpr(p, cls, depth + 1)); return parts.includes(FAIL) ? FAIL : parts }
  // binary + - * (left to right, * before +)
  for (const op of ['+', '-', '*']) {
    let d = 0, q = false
    for (let i = e.length - 1; i > 0; i--) {
      const ch = e[i]
      if (ch === '"') q = !q
      if (q) continue
      if (ch === ')') d++; if (ch === '(') d--
      if (d === 0 && ch === op && !/[eE]/.test(e[i - 1])) {
        const a = evalExpr(e.slice(0, i), cls, depth + 1), b = evalExpr(e.slice(i + 1), cls, depth + 1)
        if (a === FAIL || b === FAIL) return FAIL
        if (op === '+') return typeof a === 'string' || typeof b === 'string' ? String(a) + String(b) : a + b
        if (typeof a !== 'number' || typeof b !== 'number') return FAIL
        return op === '-' ? a - b : a * b
      }
    }
  }
  m = e.match(/^(\w+)\.(\w+)$/)
  if (m && consts.get(m[1])?.has(m[2])) return evalExpr(consts.get(m[1]).get(m[2]), m[1], depth + 1)
  m = e.match(/^\w+$/)
  if (m) {
    if (consts.get(cls)?.has(e)) return evalExpr(consts.get(cls).get(e), cls, depth + 1)
    for (const [c, n] of staticImports.get(cls) ?? []) if ((n === e || n === '*') && consts.get(c)?.has(e)) return evalExpr(consts.get(c).get(e), c, depth + 1)
    // static imports: search every class
    const hits = [...consts].filter(([, mm]) => mm.has(e))
    if (hits.length >= 1) { const vals = hits.map(([c, mm]) => evalExpr(mm.get(e), c, depth + 1)).filter((v) => v !== FAIL); if (vals.length > 0 && vals.every((v) => JSON.stringify(v) === JSON.stringify(vals[0]))) return vals[0] }
  }
  m = e.match(/^(\w+)\.(\w+)\.(name|name\(\)|id|version\(\)|toString\(\))$/)
  if (m) return `?${e}`
  return FAIL
}
const classes = ['RemoteLogManagerConfig', 'ZkConfigs', 'ServerConfigs', 'KRaftConfigs', 'SocketServerConfigs', 'ReplicationConfigs', 'GroupCoordinatorConfig', 'CleanerConfig', 'LogConfig', 'ShareGroupConfig', 'TransactionLogConfigs', 'TransactionStateManagerConfigs', 'QuorumConfig', 'MetricConfigs', 'QuotaConfigs', 'BrokerSecurityConfigs', 'DelegationTokenManagerConfigs', 'PasswordEncoderConfigs']
const IMPORTANCE = /^(ConfigDef\.)?Importance\.(HIGH|MEDIUM|LOW)$|^(HIGH|MEDIUM|LOW)$/
const out = new Map()
const problems = []
for (const cls of classes) {
  const full = src.get(cls)
  let text = ''
  for (const m of full.matchAll(/static final ConfigDef (\w*CONFIG_DEF) = /g)) {
    if (cls === 'GroupCoordinatorConfig' || m[1] === 'CONFIG_DEF' || (cls === 'LogConfig' && m[1] === 'SERVER_CONFIG_DEF')) text += full.slice(m.index, full.indexOf(';', full.indexOf('new ConfigDef()', m.index))) + '\n'
  }
  if (cls === 'RemoteLogManagerConfig') { const i = full.indexOf('public static ConfigDef configDef()'); text = full.slice(i, full.indexOf('}', i)) }
  if (text === '') problems.push(`${cls}: no CONFIG_DEF`)
  for (const mm of text.matchAll(/\.define(Internal)?\(/g)) {
    if (mm[1]) continue // internal configs are not described
    let i = mm.index + mm[0].length, d = 1, q = false
    const start = i
    for (; i < text.length && d > 0; i++) { const ch = text[i]; if (q) { if (ch === '\\') i++; else if (ch === '"') q = false; continue } if (ch === '"') q = true; else if (ch === '(') d++; else if (ch === ')') d-- }
    const args = splitTop(text.slice(start, i - 1))
    if (args.length < 4) continue
    const name = evalExpr(args[0], cls)
    if (typeof name !== 'string') { problems.push(`${cls}: name ${args[0]}`); continue }
    const type = args[1].replace(/^(ConfigDef\.)?Type\./, '').replace(/^ConfigDef\.Type\./, '')
    let def = IMPORTANCE.test(args[2]) ? 'NO_DEFAULT' : evalExpr(args[2], cls)
    if (def === FAIL) { problems.push(`${name}: default ${args[2]}`); def = `?${args[2]}` }
    out.set(name, { name, type, def, cls, validator: !IMPORTANCE.test(args[2]) && !IMPORTANCE.test(args[3]) ? args[3] : null })
  }
}
const all = JSON.parse(JSON.stringify([...out.values()], (k, v) => (typeof v === 'bigint' ? v.toString() : v)))
if (problems.length > 0) process.stderr.write(problems.join('\n') + '\n')
const handWritten = fs.readFileSync(new URL('../../src/cluster/broker-configs.ts', import.meta.url), 'utf8')
const curated = new Set([...handWritten.matchAll(/(?:honoured|accepted)\('([^']+)'/g)].map((m) => m[1]))
const FIXES = {
  listeners: 'PLAINTEXT://:9092',
  'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT',
  'security.inter.broker.protocol': 'PLAINTEXT',
  'inter.broker.protocol.version': '3.9-IV0',
  'group.coordinator.rebalance.protocols': 'classic',
  'offsets.topic.compression.codec': 0,
  'group.consumer.assignors': 'org.apache.kafka.coordinator.group.assignor.UniformAssignor,org.apache.kafka.coordinator.group.assignor.RangeAssignor',
  'metrics.recording.level': 'INFO',
  'principal.builder.class': 'org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder',
  'ssl.client.auth': 'none',
  'ssl.protocol': 'TLSv1.3',
  'ssl.enabled.protocols': 'TLSv1.2,TLSv1.3',
  'ssl.keymanager.algorithm': 'SunX509',
  'ssl.trustmanager.algorithm': 'PKIX',
}
/** Validators whose bounds the sources compute from other classes' constants. */
const VALIDATOR_FIXES = {
  'metadata.log.segment.bytes': { min: 12 }, // Records.LOG_OVERHEAD
  'security.inter.broker.protocol': { choices: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] },
  'group.coordinator.rebalance.protocols': { choices: ['classic', 'consumer', 'share'] },
  'ssl.client.auth': { choices: ['required', 'requested', 'none'] },
}
const dynamic = new Set(['advertised.listeners', 'listeners', 'listener.security.protocol.map', 'principal.builder.class', 'ssl.protocol', 'ssl.provider', 'ssl.cipher.suites', 'ssl.enabled.protocols', 'ssl.keymanager.algorithm', 'ssl.trustmanager.algorithm', 'ssl.endpoint.identification.algorithm', 'ssl.secure.random.implementation', 'ssl.client.auth', 'ssl.engine.factory.class', 'sasl.mechanism.inter.broker.protocol', 'sasl.jaas.config', 'sasl.enabled.mechanisms', 'sasl.kerberos.service.name', 'sasl.kerberos.kinit.cmd', 'sasl.kerberos.ticket.renew.window.factor', 'sasl.kerberos.ticket.renew.jitter', 'sasl.kerberos.min.time.before.relogin', 'sasl.kerberos.principal.to.local.rules', 'sasl.login.refresh.window.factor', 'sasl.login.refresh.window.jitter', 'sasl.login.refresh.min.period.seconds', 'sasl.login.refresh.buffer.seconds', 'max.connections', 'max.connection.creation.rate', 'num.network.threads', 'metric.reporters', 'remote.log.index.file.cache.total.size.bytes', 'remote.fetch.max.wait.ms', 'remote.log.manager.copy.max.bytes.per.second', 'remote.log.manager.fetch.max.bytes.per.second'])
const rows = []
const extra = [{ name: 'advertised.listeners', type: 'STRING', def: null }]
for (const c of [...all, ...extra]) {
  if (curated.has(c.name) || rows.some((r) => r[0] === c.name)) continue
  let d = c.name in FIXES ? FIXES[c.name] : c.def
  if (d === 'NO_DEFAULT') d = null
  if (typeof d === 'string' && d.startsWith('?')) throw new Error(`unresolved ${c.name}`)
  let s
  if (d === null) s = null
  else if (Array.isArray(d)) s = d.join(',')
  else if (d === 'DMAX') s = '1.7976931348623157E308'
  else if (c.type === 'DOUBLE' && typeof d === 'number') s = Number.isInteger(d) ? d.toFixed(1) : String(d)
  else s = String(d)
  const opts = {}
  if (dynamic.has(c.name)) opts.dynamic = true
  const v = c.validator ?? ''
  let m = v.match(/^(?:ConfigDef\.Range\.)?atLeast\(([\s\S]+)\)$/)
  if (m) opts.min = evalExpr(m[1], c.cls)
  m = v.match(/^(?:ConfigDef\.Range\.)?between\(([\s\S]+)\)$/)
  if (m) [opts.min, opts.max] = splitTop(m[1]).map((x) => evalExpr(x, c.cls))
  m = v.match(/^ConfigDef\.Valid(?:String|List)\.in\(([\s\S]+)\)$/)
  if (m) opts.choices = splitTop(m[1]).map((x) => evalExpr(x, c.cls))
  const unresolved = ['min', 'max'].some((k) => opts[k] !== undefined && typeof opts[k] !== 'number') || opts.choices?.some((x) => typeof x !== 'string')
  if (unresolved) {
    delete opts.min, delete opts.max, delete opts.choices
    Object.assign(opts, VALIDATOR_FIXES[c.name] ?? {})
    if (!(c.name in VALIDATOR_FIXES)) process.stderr.write(`validator of ${c.name} not read: ${v}\n`)
  }
  rows.push([c.name, c.type.toLowerCase(), s, opts])
}
rows.sort((a, b) => (a[0] < b[0] ? -1 : 1))
const optsText = (o) => {
  const parts = Object.entries(o).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : v}`)
  return parts.length === 0 ? '' : `, { ${parts.join(', ')} }`
}
const lines = rows.map((r) => `  [${JSON.stringify(r[0])}, '${r[1]}', ${r[2] === null ? 'null' : JSON.stringify(r[2])}${optsText(r[3])}],`)
process.stdout.write(lines.map((l) => l.replace(/"/g, "'")).join('\n') + '\n')
