/**
 * The local sluice daemon as the simulation commands see it (`broker`, `cluster`, `failover`,
 * `fault`): these act through the daemon's control socket, which only the local daemon has, so
 * they refuse plainly when --bootstrap-server / $SLUICE_BOOTSTRAP_SERVER names another cluster.
 * Like data commands, they start the local daemon on first use.
 *
 * Also: the small helpers and views these commands share. The methods they call and the types
 * those carry are the control contract (common/control-contract.ts).
 */
import { SluiceError } from '../common/errors.js'
import { formatTable } from '../cli/table.js'
import { describeFault } from '../common/fault-text.js'
import type {
  BrokerInfo,
  ClusterStatusResult,
  Fault,
  LeaderMove,
  Method,
  Params,
  PartitionState,
  RecoveryStatus,
  Result,
} from '../common/control-contract.js'
import { callDaemon, ControlClient, probeDaemon, type CallOptions } from './control.js'
import { ensureDaemon, resolveDaemonConfig } from './daemon.js'
import { homePaths } from './home.js'

/**
 * What makes the cluster unhealthy (`cluster status` exits 8), one reason per line; none when
 * healthy. A replica that recovered from corruption is history, not a problem: it does not count.
 */
export function healthProblems(status: ClusterStatusResult): string[] {
  const notUp = status.brokers.filter((b) => b.state !== 'up')
  const recovering = status.recoveries.filter((r) => r.state !== 'recovered')
  const problems: Array<[number, string]> = [
    [notUp.length, `broker${notUp.length === 1 ? '' : 's'} not up: ${notUp.map((b) => `${b.id} (${b.state})`).join(', ')}`],
    [status.offline.length, `${status.offline.length} offline`],
    [status.leaderDown.length, `${status.leaderDown.length} leader down`],
    [status.underReplicated.length, `${status.underReplicated.length} under-replicated`],
    [status.stuckReplicas.length, `${status.stuckReplicas.length} stuck replica${status.stuckReplicas.length === 1 ? '' : 's'}`],
    [recovering.length, `${recovering.length} replica${recovering.length === 1 ? '' : 's'} recovering or unrecoverable`],
  ]
  return problems.filter(([n]) => n > 0).map(([, text]) => text)
}

/** TOPIC-PARTITION names, as the dashboard and Kafka's tools write them. */
export const partitionNames = (partitions: ReadonlyArray<{ topic: string; partition: number }>): string =>
  partitions.map((p) => `${p.topic}-${p.partition}`).join(', ')

export interface LocalCluster {
  home: string
  /** One control-socket call on a fresh connection. */
  call<M extends Method>(method: M, params: Params<M>, opts?: CallOptions): Promise<Result<M>>
  /** A connection of its own, for subscriptions (`cluster events --follow`); the caller closes it. */
  connect(): Promise<ControlClient>
}

export interface LocalOptions {
  home: string
  /** The --bootstrap-server flag (oclif fills it from $SLUICE_BOOTSTRAP_SERVER too). */
  bootstrapServer?: string
  /** The command as the user would type it, for the refusal: "sluice broker kill". */
  command: string
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0'])

function sameAddress(given: string, host: string, port: number): boolean {
  const colon = given.lastIndexOf(':')
  const gHost = given.slice(0, colon).toLowerCase()
  const gPort = Number(given.slice(colon + 1))
  if (gPort !== port) return false
  return gHost === host.toLowerCase() || (LOOPBACK.has(gHost) && LOOPBACK.has(host.toLowerCase()))
}

/** The addresses of this home's daemon: the running one's, else those it would start with. */
async function localAddresses(home: string): Promise<Array<{ host: string; port: number }>> {
  const status = await probeDaemon(home, { timeoutMs: 2_000 })
  if (status?.cluster) return status.cluster.brokers.map(({ host, port }) => ({ host, port }))
  const config = resolveDaemonConfig({ home })
  return Array.from({ length: config.brokers }, (_, i) => ({ host: config.host, port: config.port + i }))
}

/**
 * The local daemon, started on first use (with a note on stderr). Throws LOCAL_ONLY (exit 2) when
 * a bootstrap server is given that is not one of this home's brokers: sluice can kill its own
 * simulated brokers, not those of a real cluster.
 */
export async function localCluster(opts: LocalOptions): Promise<LocalCluster> {
  const given = (opts.bootstrapServer ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (given.length > 0) {
    const local = await localAddresses(opts.home)
    const foreign = given.filter((g) => !local.some((l) => sameAddress(g, l.host, l.port)))
    if (foreign.length > 0) {
      throw new SluiceError(
        'LOCAL_ONLY',
        `\`${opts.command}\` works only on the local sluice daemon; ${foreign.join(',')} is a Kafka cluster sluice does not control ` +
          '(drop --bootstrap-server and unset SLUICE_BOOTSTRAP_SERVER, or pick another local daemon with --home)',
      )
    }
  }
  await ensureDaemon({ home: opts.home })
  return {
    home: opts.home,
    call: (method, params, callOpts) => callDaemon(opts.home, method, params, callOpts),
    connect: () => ControlClient.connect(homePaths(opts.home).socket),
  }
}

/**
 * A positional id (broker, fault). Parsed here rather than with oclif's Args.integer, whose
 * errors do not read as usage errors.
 */
export function parseId(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw new SluiceError('USAGE', `bad ${what} "${text}": expected a number such as 2`)
  return Number(text.trim())
}

/** `1-2` -> [1, 2]: the link between two brokers. */
export function parseLink(text: string): [number, number] {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text)
  if (!m) throw new SluiceError('USAGE', `bad --link "${text}": expected two broker ids joined by a dash, e.g. 1-2`)
  const link: [number, number] = [Number(m[1]), Number(m[2])]
  if (link[0] === link[1]) throw new SluiceError('USAGE', `bad --link "${text}": a link joins two different brokers`)
  return link
}

/** `TOPIC` or `TOPIC:PARTITION` (Kafka topic names cannot contain ':'). */
export function parseTopicPartition(text: string): { topic: string; partition?: number } {
  const colon = text.lastIndexOf(':')
  if (colon < 0) return { topic: text }
  const topic = text.slice(0, colon)
  const part = text.slice(colon + 1)
  if (topic === '' || !/^\d+$/.test(part)) {
    throw new SluiceError('USAGE', `bad partition "${text}": expected TOPIC or TOPIC:PARTITION, e.g. orders:0`)
  }
  return { topic, partition: Number(part) }
}

/** `produce`, `list-offsets`, `ListOffsets`... -> the API name the fault injector knows (`ListOffsets`). */
export function apiName(text: string, known: readonly string[]): string {
  const squash = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '')
  return known.find((name) => squash(name) === squash(text)) ?? text
}

/** `-1` (no leader) reads as "none" in tables. */
export const leaderText = (id: number): string => (id < 0 ? 'none' : String(id))

/** The brokers table of `broker list`, `cluster status` and the broker actions; `*` marks the controller. */
export function brokerTable(brokers: BrokerInfo[], controllerId: number): string {
  return formatTable(
    ['broker', 'address', 'state', 'leader of', 'replica of', 'epoch', 'connections'],
    brokers.map((b) => [
      b.id === controllerId ? `${b.id}*` : b.id,
      `${b.host}:${b.port}`,
      b.state,
      b.leaderOf,
      b.replicaOf,
      b.epoch,
      b.connections,
    ]),
  )
}

/**
 * Why a data command against the local daemon may have failed: one line per broker whose log dir
 * is offline ("the disk of broker 2 is full: ..."). Empty when none is, or the daemon does not answer.
 */
export async function logDirNotes(home: string): Promise<string[]> {
  try {
    const status = await callDaemon(home, 'status', {}, { timeoutMs: 1_000 })
    return (status.cluster?.brokers ?? []).flatMap((b) => {
      if (!b.logDirError) return []
      const what = b.logDirError.startsWith('disk full') ? `the disk of broker ${b.id} is full` : `the log dir of broker ${b.id} is offline`
      return [`${what} (${b.logDirError}); the broker rejoins by itself once it can write again`]
    })
  } catch {
    return []
  }
}

/** One line per broker whose log dir is offline, with the reason (under the brokers table). */
export function logDirLines(brokers: ReadonlyArray<{ id: number; logDirError: string | null }>): string[] {
  return brokers.flatMap((b) => (b.logDirError ? [`broker ${b.id}: log dir offline: ${b.logDirError}`] : []))
}

/** The partitions table of `cluster partitions` and `cluster status`. */
export function partitionTable(partitions: PartitionState[]): string {
  return formatTable(
    ['topic', 'partition', 'leader', 'epoch', 'replicas', 'isr'],
    partitions.map((p) => [p.topic, p.partition, leaderText(p.leader), p.leaderEpoch, p.replicas.join(','), p.isr.join(',')]),
  )
}

/** Replicas that had to recover from corruption, for `cluster status` and `daemon status`. */
export function recoveriesTable(recoveries: RecoveryStatus[]): string {
  return formatTable(
    ['broker', 'topic', 'partition', 'offsets', 'state', 'found', 'recovered'],
    // An unreadable log is recovered whole: offsets 0 to -1.
    recoveries.map((r) => [r.broker, r.topic, r.partition, r.lastOffset < r.firstOffset ? 'all' : `${r.firstOffset}-${r.lastOffset}`, r.state, r.foundAt, r.recoveredAt ?? '-']),
  )
}

/** The moves table of `failover`, `cluster elect-leaders` and `broker kill --clean`. */
export function movesTable(moves: LeaderMove[]): string {
  return formatTable(
    ['topic', 'partition', 'from', 'to', 'epoch'],
    moves.map((m) => [m.topic, m.partition, leaderText(m.from), leaderText(m.to), m.leaderEpoch]),
  )
}

export function faultTable(faults: Fault[]): string {
  return formatTable(
    ['id', 'kind', 'fault', 'seed', 'since'],
    faults.map((f) => [f.id, f.kind, describeFault(f), f.seed, f.createdAt]),
  )
}
