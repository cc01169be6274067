import { setTimeout as sleep } from 'node:timers/promises'
import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { replicaMovesTable } from '../../cli/cluster-views.js'
import { localCluster, type LocalCluster } from '../../client/local.js'
import { formatBytes } from '../../client/produce/summary.js'
import type { LeaderMove, RebalanceMove, RebalanceResult } from '../../common/control-contract.js'

export interface RebalanceOutput extends RebalanceResult {
  /** Every move done (replicas caught up, the old ones removed); false with --dry-run, --no-wait or Ctrl-C. */
  completed: boolean
  /** The preferred-leader election run once the moves completed. */
  leaderMoves: LeaderMove[]
}

const POLL_MS = 250
/** A progress line at most this often (not with --json). */
const PROGRESS_EVERY_MS = 2_000

export default class ClusterRebalance extends BaseCommand<typeof ClusterRebalance> {
  static override summary = 'Spread replicas and preferred leaders evenly over the live brokers, by moving partitions.'
  static override description = `Plans the fewest replica moves that leave every live broker (up and unfenced) within one replica of the others, then the fewest reorders that do the same for preferred leaders (the first replica); replicas on a broker the home no longer runs move too. The plan is printed first: each partition's replicas, the new ones, and the bytes the move copies (the leader's log size for each replica added; a reorder copies nothing).
Then, unless --dry-run, the moves are submitted as partition reassignments (the new replicas fetch the log as followers, join the ISR, then the old ones are dropped and leadership moves), and progress is shown until every move is done; then a preferred-leader election puts the leaders on the preferred replicas. --no-wait returns once the moves are submitted (\`cluster events\` and \`sluice ui\` show them; Ctrl-C stops watching, not the moves).
Exit codes: 4 for an unknown --topic; 7 when the controller refuses a move; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> cluster rebalance --dry-run',
    '<%= config.bin %> cluster rebalance',
    '<%= config.bin %> cluster rebalance --topic orders --no-wait --json',
  ]
  static override flags = {
    'dry-run': Flags.boolean({ description: 'show the plan, move nothing', default: false }),
    topic: Flags.string({ description: "only this topic's partitions", helpValue: 'TOPIC' }),
    wait: Flags.boolean({ description: 'show progress until every move is done (--no-wait: return once submitted)', default: true, allowNo: true }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<RebalanceOutput> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice cluster rebalance' })
    const plan = await local.call('cluster.rebalance', { topic: this.flags.topic, dryRun: this.flags['dry-run'] }, { timeoutMs: 30_000 })
    const total = plan.moves.reduce((n, m) => n + m.bytes, 0)
    if (!this.jsonEnabled()) {
      if (plan.moves.length === 0) {
        this.note(`balanced already: nothing to move over brokers ${plan.brokers.join(', ')}`)
      } else {
        this.log(replicaMovesTable(plan.moves))
        const what = `${plan.moves.length} partition${plan.moves.length === 1 ? '' : 's'} over brokers ${plan.brokers.join(', ')}, ${formatBytes(total)} to copy`
        this.note(this.flags['dry-run'] ? `plan only (--dry-run): ${what}` : `moving ${what}`)
      }
    }
    const out: RebalanceOutput = { ...plan, completed: false, leaderMoves: [] }
    if (!plan.submitted || !this.flags.wait) return out
    out.completed = await this.watch(local, plan.moves, total)
    if (out.completed) {
      out.leaderMoves = (await local.call('cluster.elect-leaders', { topic: this.flags.topic }, { timeoutMs: 30_000 })).moves
      if (!this.jsonEnabled()) this.note(`done: every move completed; ${out.leaderMoves.length} leadership${out.leaderMoves.length === 1 ? '' : 's'} moved to the preferred replicas`)
    }
    return out
  }

  /** Polls the reassignments until none of the plan's is in progress; false when interrupted. */
  private async watch(local: LocalCluster, moves: readonly RebalanceMove[], total: number): Promise<boolean> {
    const interrupted = this.interruptSignal()
    const planned = new Map(moves.map((m) => [`${m.topic}\0${m.partition}`, m]))
    let lastNoteMs = Date.now()
    while (!interrupted.aborted) {
      const { reassignments } = await local.call('cluster.reassignments', {})
      const mine = reassignments.filter((r) => planned.has(`${r.topic}\0${r.partition}`))
      if (mine.length === 0) return true
      if (!this.jsonEnabled() && Date.now() - lastNoteMs >= PROGRESS_EVERY_MS) {
        lastNoteMs = Date.now()
        // Bytes copied: all of a completed move's, and what each replica being added holds so far.
        let copied = total
        let caughtUp = 0
        let adding = 0
        for (const r of mine) {
          copied -= planned.get(`${r.topic}\0${r.partition}`)!.bytes
          for (const a of r.adding) {
            adding++
            if (a.inIsr) caughtUp++
            copied += Math.min(a.bytes ?? 0, r.leaderBytes)
          }
        }
        this.note(`${moves.length - mine.length} of ${moves.length} moves done; ${caughtUp} of ${adding} new replicas caught up; ${formatBytes(Math.max(0, copied))} of ${formatBytes(total)} copied`)
      }
      await sleep(POLL_MS)
    }
    this.note('stopped watching; the moves go on (`cluster events`, `sluice ui`)')
    return false
  }
}
