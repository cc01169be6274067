/**
 * The home's saved cluster shape (`<home>/config.json`), written at the first start so that later
 * starts, and commands that start the daemon on first use, bring the same cluster back.
 */
import fs from 'node:fs'
import { SluiceError } from './errors.js'

export interface DaemonConfig {
  brokers: number
  port: number
  host: string
  /** Kafka's defaults instead of sluice's own (`daemon start --kafka-defaults`); saved for the home. */
  kafkaDefaults?: boolean
}

export const DEFAULT_CONFIG: Readonly<DaemonConfig> = { brokers: 3, port: 9092, host: '127.0.0.1' }

export const BROKERS_MAX = 64

/** Returns why a config is unusable, or undefined. Shared by flags, env and the file. */
export function checkConfig(c: DaemonConfig): string | undefined {
  if (!Number.isSafeInteger(c.brokers) || c.brokers < 1 || c.brokers > BROKERS_MAX) {
    return `brokers must be an integer from 1 to ${BROKERS_MAX} (got ${c.brokers})`
  }
  if (!Number.isSafeInteger(c.port) || c.port < 1 || c.port + c.brokers - 1 > 65535) {
    return `port must be an integer from 1 to ${65536 - c.brokers} for ${c.brokers} broker(s) (got ${c.port})`
  }
  if (typeof c.host !== 'string' || c.host === '') return 'host must be a non-empty string'
  return undefined
}

/** The saved config's fields, or {} when there is no file. A corrupt file is an error, not a reset. */
export function readConfig(file: string): Partial<DaemonConfig> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new SluiceError('BAD_INPUT', `${file} is not valid JSON; fix or delete it`, { cause: err })
  }
  const out: Partial<DaemonConfig> = {}
  if (typeof raw === 'object' && raw !== null) {
    const r = raw as Record<string, unknown>
    if (typeof r.brokers === 'number') out.brokers = r.brokers
    if (typeof r.port === 'number') out.port = r.port
    if (typeof r.host === 'string') out.host = r.host
    if (typeof r.kafkaDefaults === 'boolean') out.kafkaDefaults = r.kafkaDefaults
  }
  return out
}

/** Writes the config unless the file exists (first start only). Atomic: temp file + rename. */
export function writeConfigIfAbsent(file: string, config: DaemonConfig): boolean {
  if (fs.existsSync(file)) return false
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o644 })
  fs.renameSync(tmp, file)
  return true
}

/**
 * Saves which defaults the home's cluster starts with when a start asked for other ones than the
 * saved config has, keeping the file's other fields. Atomic: temp file + rename.
 */
export function saveKafkaDefaults(file: string, kafkaDefaults: boolean): void {
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    return // written by writeConfigIfAbsent, or unreadable: readConfig reports that
  }
  if ((raw.kafkaDefaults ?? false) === kafkaDefaults) return
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify({ ...raw, kafkaDefaults }, null, 2) + '\n', { mode: 0o644 })
  fs.renameSync(tmp, file)
}
