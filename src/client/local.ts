/**
 * The local sluice daemon as the simulation commands see it (`broker`, `cluster`, `failover`,
 * `fault`): these act through the daemon's control socket, which only the local daemon has, so
 * they refuse plainly when --bootstrap-server / $SLUICE_BOOTSTRAP_SERVER names another cluster.
 * Like data commands, they start the local daemon on first use.
 *
 * Also: what these commands share that needs the daemon (the log-dir notes; their tables and
 * argument parsers are cli/cluster-views.ts). The methods they call and the types
 * those carry are the control contract (common/control-contract.ts).
 */
import { SluiceError } from '../common/errors.js'
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
  return config.brokers.map(({ port }) => ({ host: config.host, port }))
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
