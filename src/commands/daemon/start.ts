import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { probeDaemon } from '../../client/control.js'
import {
  infoFromStatus,
  resolveDaemonConfig,
  startDaemon,
  waitForReady,
  type DaemonInfo,
} from '../../client/daemon.js'
import { displayHome } from '../../client/home.js'
import { BROKER_ID_MAX, BROKERS_MAX, CONTROLLER_MODES, readConfig, type ControllerMode } from '../../common/daemon-config.js'
import { homePaths } from '../../common/home-paths.js'

export interface StartOutput extends DaemonInfo {
  /** False when the daemon was already running. */
  started: boolean
}

export default class DaemonStart extends BaseCommand<typeof DaemonStart> {
  static override summary = 'Start the local daemon: a simulated Kafka cluster on 127.0.0.1.'
  static override description = `Starts the daemon in the background and returns once every broker accepts connections, printing the bootstrap address on stdout.
A new home gets --brokers brokers numbered from --first-broker-id, the first on --port and each next one on the next port (flags, else $SLUICE_BROKERS / $SLUICE_FIRST_BROKER_ID / $SLUICE_PORT, else 3 brokers from id 1 on port 9092).
A home that has run keeps its brokers (saved in its config.json; \`broker add\` and \`broker remove\` change them): --port moves them all, --brokers and --first-broker-id apply to a new home only.
--controllers N (1, 3 or 5; at most the broker count) makes the first N brokers also controller quorum voters, as KRaft's combined mode: metadata changes (topics, configs, leaders) commit once a majority of them has them, and stop, failing with QUORUM_NO_MAJORITY, while a majority is down. A new home gets 3 when it has at least 3 brokers, else 1; the count is saved for the home and cannot change.
--controller-mode dedicated runs the voters as controllers of their own instead, as KRaft's process.roles=controller nodes: node ids 3000, 3001, ..., no Kafka listener, no partitions; \`sluice controller list|kill|start|pause|resume\` drives them. A dedicated home gets 3 (--controllers sets 1, 3 or 5, whatever the broker count). The mode is saved for the home and cannot change (exit 2).
Where sluice's defaults differ from Kafka's (min.insync.replicas 2, num.partitions 3, ...), --kafka-defaults starts with Kafka's instead, for suites written against Kafka; the choice is saved for the home.
An acknowledged write is in the OS: it survives a crash of the daemon (kill -9), not a power loss. --fsync has every broker fsync each group commit before acknowledging the appends in it (a disk flush per group commit: slower writes); the choice is saved for the home.
Starting a daemon that is already running changes nothing and exits 0.`
  static override examples = [
    '<%= config.bin %> daemon start',
    '<%= config.bin %> daemon start --brokers 1 --port 19092',
    '<%= config.bin %> daemon start --brokers 3 --first-broker-id 0',
    'SLUICE_HOME=/tmp/demo <%= config.bin %> daemon start --json',
    '<%= config.bin %> daemon start --foreground',
    '<%= config.bin %> daemon start --kafka-defaults',
    '<%= config.bin %> daemon start --fsync',
    '<%= config.bin %> daemon start --brokers 5 --controllers 5',
    '<%= config.bin %> daemon start --controller-mode dedicated',
  ]
  static override flags = {
    brokers: Flags.integer({
      description: 'number of simulated brokers of a new home [default: $SLUICE_BROKERS, else 3]',
      min: 1,
      max: BROKERS_MAX,
    }),
    'first-broker-id': Flags.integer({
      description: 'id of the first broker of a new home; the others follow [default: $SLUICE_FIRST_BROKER_ID, else 1]',
      min: 0,
      max: BROKER_ID_MAX,
    }),
    port: Flags.integer({
      description: 'port of the first broker; the others follow [default: $SLUICE_PORT, the home config, else 9092]',
      min: 1,
      max: 65535,
    }),
    'kafka-defaults': Flags.boolean({
      description:
        "start the cluster with Kafka's defaults (min.insync.replicas 1, num.partitions 1, default.replication.factor 1, group.initial.rebalance.delay.ms 3000, ...) instead of sluice's own; saved for the home [default: the home config, else off]",
      allowNo: true,
    }),
    fsync: Flags.boolean({
      description:
        "fsync every group commit of every broker's store before acknowledging its appends: acknowledged writes survive a power loss, at a disk flush per group commit; saved for the home [default: the home config, else off]",
      allowNo: true,
    }),
    controllers: Flags.integer({
      description: 'controller quorum voters of a new home: the first N brokers (1, 3 or 5) [default: the home config, else 3 with at least 3 brokers, else 1]',
      min: 1,
      max: 5,
    }),
    'controller-mode': Flags.option({
      options: CONTROLLER_MODES,
      description: 'controller quorum of a new home: combined (the first brokers run the voters) or dedicated (controllers of their own, ids 3000..) [default: the home config, else combined]',
    })(),
    foreground: Flags.boolean({
      description: 'run the daemon in this process, logging to stderr, until Ctrl-C or `daemon stop`',
      default: false,
    }),
  }

  public async run(): Promise<StartOutput | undefined> {
    if (this.flags.foreground) return this.runForeground()
    const { info, started } = await startDaemon({ home: this.home, ...this.shapeFlags() })
    this.report(info, started)
    return { ...info, started }
  }

  private shapeFlags(): { brokers?: number; port?: number; firstBrokerId?: number; kafkaDefaults?: boolean; fsync?: boolean; controllers?: number; controllerMode?: ControllerMode } {
    return {
      controllers: this.flags.controllers,
      controllerMode: this.flags['controller-mode'],
      brokers: this.flags.brokers,
      port: this.flags.port,
      firstBrokerId: this.flags['first-broker-id'],
      kafkaDefaults: this.flags['kafka-defaults'],
      fsync: this.flags.fsync,
    }
  }

  private report(info: DaemonInfo, started: boolean): void {
    const first = info.brokers[0]
    const last = info.brokers.at(-1)
    const ports = first && last && first !== last ? `${first.host}:${first.port}-${last.port}` : info.bootstrap
    const ids = first && last && first !== last ? `brokers ${first.id}-${last.id}` : `broker ${first?.id}`
    const where = `(home ${displayHome(info.home)}, pid ${info.pid})`
    if (started) this.note(`started the daemon: ${ids} at ${ports} ${where}`)
    else this.note(`the daemon is already running at ${ports} ${where}`)
    const asked = [
      this.flags.brokers !== undefined && this.flags.brokers !== info.brokers.length ? '--brokers' : '',
      this.flags['first-broker-id'] !== undefined && this.flags['first-broker-id'] !== first?.id ? '--first-broker-id' : '',
      this.flags.port !== undefined && this.flags.port !== first?.port ? '--port' : '',
      !started && this.flags.controllers !== undefined && this.flags.controllers !== readConfig(homePaths(this.home).config).controllers ? '--controllers' : '',
      !started && this.flags['controller-mode'] !== undefined && this.flags['controller-mode'] !== (readConfig(homePaths(this.home).config).controllerMode ?? 'combined')
        ? '--controller-mode'
        : '',
      // The running daemon saved the defaults it started with in the home's config.
      !started && this.flags['kafka-defaults'] !== undefined && this.flags['kafka-defaults'] !== (readConfig(homePaths(this.home).config).kafkaDefaults ?? false)
        ? this.flags['kafka-defaults'] ? '--kafka-defaults' : '--no-kafka-defaults'
        : '',
      !started && this.flags.fsync !== undefined && this.flags.fsync !== (readConfig(homePaths(this.home).config).fsync ?? false)
        ? this.flags.fsync ? '--fsync' : '--no-fsync'
        : '',
    ].filter((f) => f !== '')
    if (asked.length > 0) {
      const why = started
        ? 'the home keeps its brokers (`broker add` and `broker remove` change them)'
        : 'stop the daemon first to change them'
      this.note(`${asked.join(' and ')} not applied: ${why}`)
    }
    this.log(info.bootstrap)
  }

  private async runForeground(): Promise<undefined> {
    const running = await probeDaemon(this.home)
    if (running?.state === 'ready') {
      this.reportForeground(infoFromStatus(running), false)
      return undefined
    }
    const interrupted = this.interruptSignal()
    const config = resolveDaemonConfig({ home: this.home, ...this.shapeFlags() })
    // Loaded here, not at the top: only the foreground daemon needs the cluster code.
    const { runDaemon } = await import('../../daemon/daemon.js')
    const { LockHeldError } = await import('../../common/pid-lock.js')
    const { streamSink } = await import('../../daemon/logger.js')
    let daemon: Awaited<ReturnType<typeof runDaemon>>
    try {
      daemon = await runDaemon({
        home: this.home,
        ...config,
        logSinks: [streamSink(process.stderr)],
        debug: process.env.SLUICE_DEBUG === '1',
      })
    } catch (err) {
      if (!(err instanceof LockHeldError)) throw err
      // Another process is starting this home's daemon right now: report it once it is up.
      this.reportForeground(infoFromStatus(await waitForReady(this.home)), false)
      return undefined
    }
    this.reportForeground(infoFromStatus(daemon.status()), true)
    const stopOnSignal = (): void => void daemon.stop(String(interrupted.reason ?? 'signal'))
    if (interrupted.aborted) stopOnSignal()
    else interrupted.addEventListener('abort', stopOnSignal, { once: true })
    await daemon.stopped
    return undefined
  }

  /** Foreground output is printed at once, not when run() returns (that is after the stop). */
  private reportForeground(info: DaemonInfo, started: boolean): void {
    if (this.jsonEnabled()) this.logJson({ ...info, started })
    else this.report(info, started)
  }
}
