/**
 * Runs `sluice ui` on the terminal until `q` (0) or Ctrl-C (130). The dashboard takes the
 * alternate screen, like top, so the shell's scrollback is left as it was.
 */
import { render } from 'ink'
import type { ClusterTarget } from '../../client/kafka.js'
import { App } from './App.js'
import { ClusterFeed } from './cluster-feed.js'
import { GroupsFeed, kafkaGroupSource } from './groups-feed.js'
import { kafkaQuorumSource, QuorumFeed } from './quorum-feed.js'
import { kafkaTxnSource, TxnsFeed } from './txns-feed.js'

export interface RunUiOptions {
  /** Shown in the header. */
  home: string
  socketPath: string
  /** The local daemon's brokers, for the groups, transactions and quorum (through Kafka). */
  target: ClusterTarget
}

const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H'
const LEAVE_ALT_SCREEN = '\u001B[?1049l'

export async function runUi(opts: RunUiOptions): Promise<number> {
  const cluster = new ClusterFeed({ socketPath: opts.socketPath })
  const groups = new GroupsFeed(() => kafkaGroupSource(opts.target))
  const txns = new TxnsFeed(kafkaTxnSource(opts.target))
  const quorum = new QuorumFeed(kafkaQuorumSource(opts.target))
  let exitCode = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  const onExit = (code: number): void => {
    exitCode = code
    done()
  }
  // Ctrl-C reaches the view as a key (raw mode); a SIGINT or SIGTERM from outside ends it too.
  const onSigint = (): void => onExit(130)
  const onSigterm = (): void => onExit(0)
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
  process.stdout.write(ENTER_ALT_SCREEN)
  const ink = render(<App cluster={cluster} groups={groups} txns={txns} quorum={quorum} home={opts.home} onExit={onExit} />, {
    exitOnCtrlC: false,
    // Snapshots come every 500 ms and events in bursts: 10 frames a second is plenty.
    maxFps: 10,
  })
  try {
    await finished
  } finally {
    ink.unmount()
    await ink.waitUntilExit().catch(() => undefined)
    process.stdout.write(LEAVE_ALT_SCREEN)
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
    cluster.stop()
    await Promise.all([groups.stop(), txns.stop(), quorum.stop()])
  }
  return exitCode
}
