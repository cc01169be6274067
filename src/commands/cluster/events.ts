import { Flags } from '@oclif/core'
import { once } from 'node:events'
import { BaseCommand } from '../../cli/base-command.js'
import { SluiceError } from '../../common/errors.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster } from '../../client/local.js'
import type { ClusterEvent } from '../../common/control-contract.js'

const HISTORY_TIMEOUT_MS = 30_000

/** The events after the last metadata record before `since` (runtime events between included). */
function fromOffset(events: ClusterEvent[], since: number): ClusterEvent[] {
  let start = 0
  events.forEach((e, i) => {
    if (e.offset !== null && e.offset < since) start = i + 1
  })
  return events.slice(start)
}

/** One JSON line on stdout; resolves once stdout can take more (backpressure). */
async function writeLine(e: ClusterEvent): Promise<void> {
  if (!process.stdout.write(JSON.stringify(e) + '\n')) await once(process.stdout, 'drain')
}

export default class ClusterEvents extends BaseCommand<typeof ClusterEvents> {
  static override summary = "The local cluster's metadata log as events, one JSON line each: fencing, leader moves, ISR changes."
  static override description = `Every record of the controller's metadata log told as an event, oldest first: {"offset","timestamp","type","message",...} with type one of broker.registered, broker.fenced, broker.unfenced, topic.created, topic.deleted, partition.created, leader.changed (from, to, leaderEpoch, unclean, reason), isr.shrunk and isr.expanded (from, to, reason), config.changed, producer-ids.allocated. One record can tell two events (a leader change that also shrinks the ISR), with the same offset. Once the controllers snapshotted the log (the image, not the records before it), the history starts with one metadata.snapshot event (brokers, topics, partitions) at the snapshot's offset.
Merged in by time, the daemon's runtime events ("offset":null, numbered by "seq"; the last 1,000 since it started): broker.killed, broker.started, broker.paused, broker.resumed, dedicated controllers' controller.killed, controller.started, controller.paused, controller.resumed, broker.added, broker.removed, fault.added, fault.cleared, the controller quorum's quorum.leader (leaderId, epoch, previousLeaderId, voters), quorum.voter.down and quorum.voter.up (voter, running, voters), quorum.frozen and quorum.recovered (running, voters, needed: fewer than a majority of voters running, and a majority back), and failover.measured (per partition: noLeaderMs from the loss of its leader to the election, unwritableMs from the last acknowledged write before to the first after).
--since N starts at metadata-log offset N, with the runtime events after record N-1 (to resume, pass the last offset you saw plus one). --follow prints the history, then new events as they are committed, until Ctrl-C (exit 130); if the daemon stops meanwhile it ends with a note (exit 0), and exit 3 if the daemon's connection is lost.
The output is data: JSON lines on stdout, with or without --json. Local only: refused (exit 2, LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> cluster events',
    '<%= config.bin %> cluster events --follow',
    `<%= config.bin %> cluster events --since 120 | jq -r 'select(.type == "leader.changed") | .message'`,
  ]
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing events as they are committed, until Ctrl-C', default: false }),
    since: Flags.integer({ description: 'start at this metadata-log offset', min: 0, default: 0, helpValue: 'N' }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<void> {
    const since = this.flags.since
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice cluster events' })
    if (!this.flags.follow) {
      const { events } = await local.call('cluster.events', {}, { timeoutMs: HISTORY_TIMEOUT_MS })
      for (const e of fromOffset(events, since)) await writeLine(e)
      return
    }
    await this.follow(local, since)
  }

  /**
   * Subscribe first, then read the history on the same connection: nothing committed in between
   * is missed. A live event whose record is already in the history (offset <= the history's last)
   * is skipped, so nothing is printed twice; a record's events are committed and published together.
   */
  private async follow(local: Awaited<ReturnType<typeof localCluster>>, since: number): Promise<void> {
    const signal = this.interruptSignal()
    const client = await local.connect()
    try {
      // null while the history is read; then the offset of its last record.
      let historyEnd: number | null = null
      // The last runtime event (offset null, numbered by seq) the history held.
      let historySeq = -1
      const queued: ClusterEvent[] = []
      let daemonStopping = false
      const onLive = (e: ClusterEvent): void => {
        if (historyEnd === null) queued.push(e)
        else if (e.offset === null ? (e.seq ?? 0) > historySeq : e.offset > historyEnd && e.offset >= since) {
          process.stdout.write(JSON.stringify(e) + '\n')
        }
      }
      await client.subscribe({ events: ['cluster.', 'daemon.stopping'] }, (msg) => {
        if (msg.event === 'daemon.stopping') daemonStopping = true
        else onLive(msg.data as ClusterEvent)
      })
      const { events } = await client.call('cluster.events', {}, { timeoutMs: HISTORY_TIMEOUT_MS })
      for (const e of fromOffset(events, since)) await writeLine(e)
      historySeq = events.reduce((m, e) => Math.max(m, e.seq ?? -1), -1)
      historyEnd = events.reduce((m, e) => Math.max(m, e.offset ?? -1), -1)
      for (const e of queued.splice(0)) onLive(e)
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
      await Promise.race([aborted, client.closed])
      if (signal.aborted) return
      if (daemonStopping) {
        this.note('the daemon stopped')
        return
      }
      throw new SluiceError('DAEMON_NOT_RUNNING', 'lost the connection to the daemon while following its events')
    } finally {
      client.close()
    }
  }
}
