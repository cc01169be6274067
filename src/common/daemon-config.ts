/**
 * The home's brokers (`<home>/config.json`): which broker ids the daemon runs and the port of
 * each, and the controller quorum's voters: how many (`controllers`), and whether they are the first N brokers
 * or controllers of their own (`controllerMode`). Written by the daemon once its cluster is up and at every change of its brokers, so that
 * later starts, and commands that start the daemon on first use, bring the same brokers back. A
 * new home's brokers come from a shape (how many, the port and id of the first; consecutive after it).
 */
import fs from 'node:fs'
import { SluiceError } from './errors.js'

/** One broker of the home: its id (Kafka's node.id) and the port its listener binds. */
export interface ConfiguredBroker {
  id: number
  port: number
}

export interface DaemonConfig {
  host: string
  /** Sorted by id; the first one's address is the bootstrap address. */
  brokers: ConfiguredBroker[]
  /** Kafka's defaults instead of sluice's own (`daemon start --kafka-defaults`); saved for the home. */
  kafkaDefaults?: boolean
  /**
   * Every group commit of every broker's store fsynced before its appends are acknowledged
   * (`daemon start --fsync`): an acknowledged write then survives a power loss, not only a crash
   * of the daemon. Saved for the home.
   */
  fsync?: boolean
  /**
   * How many controller quorum voters (1, 3 or 5): the first N brokers by id also run a voter
   * (KRaft's combined mode). Fixed once the home has run: a voter set does not change.
   */
  controllers?: number
  /**
   * combined (the default): the first `controllers` brokers also run the voters. dedicated: the
   * voters are controllers of their own, not brokers, with ids DEDICATED_CONTROLLER_ID_BASE + i
   * (KRaft's process.roles=controller nodes). Fixed once the home has run, like the count.
   */
  controllerMode?: ControllerMode
}

export type ControllerMode = 'combined' | 'dedicated'
export const CONTROLLER_MODES: readonly ControllerMode[] = ['combined', 'dedicated']

/**
 * Dedicated controllers' node ids: 3000, 3001, ... (the ids Kafka's own KRaft examples give
 * controllers), so that they read apart from the brokers' 1, 2, 3 and stay clear of `broker add`'s next ids.
 */
export const DEDICATED_CONTROLLER_ID_BASE = 3000

/** Quorum sizes that tolerate 0, 1 or 2 voters down: an even count adds a voter and no tolerance. */
export const CONTROLLER_COUNTS: readonly number[] = [1, 3, 5]

/** A home's voter count when none is given: 3 where there are 3 brokers to run them, else 1. */
export const defaultControllers = (brokers: number): number => (brokers >= 3 ? 3 : 1)

/** A home's voter count when none is given: 3 dedicated controllers, or by the broker count in combined mode. */
export const controllersOf = (config: Pick<DaemonConfig, 'brokers' | 'controllers' | 'controllerMode'>): number =>
  config.controllers ?? (config.controllerMode === 'dedicated' ? 3 : defaultControllers(config.brokers.length))

/** The voters' ids: the first `controllers` brokers by id (combined), or 3000.. (dedicated). */
export const voterIds = (config: Pick<DaemonConfig, 'brokers' | 'controllers' | 'controllerMode'>): number[] =>
  config.controllerMode === 'dedicated'
    ? Array.from({ length: controllersOf(config) }, (_, i) => DEDICATED_CONTROLLER_ID_BASE + i)
    : sortedById(config.brokers)
        .slice(0, controllersOf(config))
        .map((b) => b.id)

/** How a new home's brokers are laid out: ids firstBrokerId.., ports port.., one each. */
export interface ClusterShape {
  brokers: number
  port: number
  firstBrokerId: number
}

export const DEFAULT_SHAPE: Readonly<ClusterShape> = { brokers: 3, port: 9092, firstBrokerId: 1 }
export const DEFAULT_HOST = '127.0.0.1'

export const BROKERS_MAX = 64
/** Kafka's node.id is a non-negative int32. */
export const BROKER_ID_MAX = 0x7fffffff
const PORT_MAX = 65535

/** Returns why a shape is unusable, or undefined. Shared by flags and env. */
export function checkShape(s: ClusterShape): string | undefined {
  if (!Number.isSafeInteger(s.brokers) || s.brokers < 1 || s.brokers > BROKERS_MAX) {
    return `brokers must be an integer from 1 to ${BROKERS_MAX} (got ${s.brokers})`
  }
  if (!Number.isSafeInteger(s.port) || s.port < 1 || s.port + s.brokers - 1 > PORT_MAX) {
    return `port must be an integer from 1 to ${PORT_MAX + 1 - s.brokers} for ${s.brokers} broker(s) (got ${s.port})`
  }
  if (!Number.isSafeInteger(s.firstBrokerId) || s.firstBrokerId < 0 || s.firstBrokerId + s.brokers - 1 > BROKER_ID_MAX) {
    return `the first broker id must be an integer from 0 to ${BROKER_ID_MAX + 1 - s.brokers} for ${s.brokers} broker(s) (got ${s.firstBrokerId})`
  }
  return undefined
}

/** A shape's brokers: broker firstBrokerId + i listens on port + i. */
export function brokersOfShape(s: ClusterShape): ConfiguredBroker[] {
  return Array.from({ length: s.brokers }, (_, i) => ({ id: s.firstBrokerId + i, port: s.port + i }))
}

/** Returns why a config is unusable, or undefined. Shared by the file, the daemon's arguments and its changes. */
export function checkConfig(c: DaemonConfig): string | undefined {
  if (typeof c.host !== 'string' || c.host === '') return 'host must be a non-empty string'
  if (!Array.isArray(c.brokers) || c.brokers.length < 1 || c.brokers.length > BROKERS_MAX) {
    return `there must be 1 to ${BROKERS_MAX} brokers (got ${Array.isArray(c.brokers) ? c.brokers.length : 'none'})`
  }
  const ids = new Set<number>()
  const ports = new Set<number>()
  for (const b of c.brokers) {
    if (!Number.isSafeInteger(b.id) || b.id < 0 || b.id > BROKER_ID_MAX) return `a broker id must be an integer from 0 to ${BROKER_ID_MAX} (got ${b.id})`
    if (!Number.isSafeInteger(b.port) || b.port < 1 || b.port > PORT_MAX) return `broker ${b.id}'s port must be an integer from 1 to ${PORT_MAX} (got ${b.port})`
    if (ids.has(b.id)) return `broker ${b.id} is listed twice`
    if (ports.has(b.port)) return `port ${b.port} is given to two brokers`
    ids.add(b.id)
    ports.add(b.port)
  }
  if (c.controllers !== undefined) {
    if (!CONTROLLER_COUNTS.includes(c.controllers)) return `controllers must be 1, 3 or 5 (got ${c.controllers})`
    if (c.controllerMode !== 'dedicated' && c.controllers > c.brokers.length) {
      return `${c.controllers} controllers need at least ${c.controllers} brokers (each controller runs in a broker; there are ${c.brokers.length})`
    }
  }
  if (c.controllerMode !== undefined && !CONTROLLER_MODES.includes(c.controllerMode)) return `controller mode must be combined or dedicated (got ${String(c.controllerMode)})`
  if (c.controllerMode === 'dedicated') {
    // A node id is one node's: a broker cannot take a dedicated controller's.
    const voters = new Set(voterIds(c))
    const clash = c.brokers.find((b) => voters.has(b.id))
    if (clash) return `broker id ${clash.id} is a dedicated controller's id (controllers are ${[...voters].join(', ')})`
  }
  return undefined
}

export const sortedById = (brokers: readonly ConfiguredBroker[]): ConfiguredBroker[] => [...brokers].sort((a, b) => a.id - b.id)

/** "port 9092", "ports 9092-9094", "ports 9092, 9093, 9100": for messages. */
export function describePorts(brokers: readonly ConfiguredBroker[]): string {
  const ports = brokers.map((b) => b.port).sort((a, b) => a - b)
  if (ports.length === 1) return `port ${ports[0]}`
  const consecutive = ports.every((p, i) => i === 0 || p === ports[i - 1]! + 1)
  return consecutive ? `ports ${ports[0]}-${ports.at(-1)}` : `ports ${ports.join(', ')}`
}

/**
 * The saved config's fields, or {} when there is no file. A corrupt file is an error, not a reset.
 * A home saved before broker ids were listed ({"brokers": 3, "port": 9092}) reads as brokers 1..3.
 */
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
  if (typeof raw !== 'object' || raw === null) return out
  const r = raw as Record<string, unknown>
  if (typeof r.host === 'string') out.host = r.host
  if (typeof r.kafkaDefaults === 'boolean') out.kafkaDefaults = r.kafkaDefaults
  if (typeof r.fsync === 'boolean') out.fsync = r.fsync
  if (r.controllers !== undefined) out.controllers = Number(r.controllers)
  if (r.controllerMode !== undefined) out.controllerMode = r.controllerMode as ControllerMode
  if (Array.isArray(r.brokers)) {
    out.brokers = sortedById(r.brokers.map((b: unknown) => ({ id: Number((b as ConfiguredBroker)?.id), port: Number((b as ConfiguredBroker)?.port) })))
  } else if (typeof r.brokers === 'number' && typeof r.port === 'number') {
    out.brokers = brokersOfShape({ brokers: r.brokers, port: r.port, firstBrokerId: 1 })
  }
  if (out.brokers) {
    const problem = checkConfig({ host: out.host ?? DEFAULT_HOST, brokers: out.brokers, controllers: out.controllers, controllerMode: out.controllerMode })
    if (problem) throw new SluiceError('BAD_INPUT', `${file}: ${problem}; fix or delete it`)
  }
  return out
}

/** Writes the config (atomic: temp file + rename). */
export function writeConfig(file: string, config: DaemonConfig): void {
  const tmp = `${file}.${process.pid}.tmp`
  const saved: DaemonConfig = { host: config.host, brokers: sortedById(config.brokers).map(({ id, port }) => ({ id, port })) }
  if (config.kafkaDefaults) saved.kafkaDefaults = true
  if (config.fsync) saved.fsync = true
  if (config.controllers !== undefined) saved.controllers = config.controllers
  // Only a dedicated home says so: a combined home's file stays as it was before the mode existed.
  if (config.controllerMode === 'dedicated') saved.controllerMode = 'dedicated'
  fs.writeFileSync(tmp, JSON.stringify(saved, null, 2) + '\n', { mode: 0o644 })
  fs.renameSync(tmp, file)
}
