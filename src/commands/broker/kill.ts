import { Flags } from '@oclif/core'
import { BrokerActionCommand } from '../../cli/broker-action.js'
import { movesTable } from '../../cli/cluster-views.js'
import type { BrokerActionResult, BrokerInfo, LeaderMove } from '../../common/control-contract.js'

export interface BrokerKillResult {
  id: number
  clean: boolean
  /** True when the broker was already down: nothing was done. */
  alreadyDown: boolean
  /** --clean only: false when the controller quorum could not commit the controlled shutdown (no majority) and the broker stopped without it. */
  controlled: boolean
  /** Leaderships moved before the broker stopped (--clean only; a crash moves them later). */
  moves: LeaderMove[]
  brokers: BrokerInfo[]
}

export default class BrokerKill extends BrokerActionCommand<typeof BrokerKill, BrokerKillResult> {
  static override summary = 'Kill a broker of the local cluster: a crash, or a controlled shutdown with --clean.'
  static override description = `A crash (the default): the broker's listener closes and its connections drop at once, replication and heartbeats stop. The controller notices only when the broker's session times out (broker.session.timeout.ms, 9 s by default): then it fences the broker and elects new leaders for the partitions it led, from their in-sync replicas.
--clean: a controlled shutdown. Leadership moves to other in-sync replicas first and the broker leaves every ISR, so clients see one quick move instead of a timeout; the moves are printed.
Killing a broker that is already down does nothing (a note says so). Bring it back with \`broker start\`.
Exit codes: 4 when there is no such broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> broker kill 2',
    '<%= config.bin %> broker kill 2 --clean',
    '<%= config.bin %> broker kill 2 --clean --json | jq ".moves"',
  ]
  static override flags = {
    clean: Flags.boolean({ description: 'controlled shutdown: move leadership away first', default: false }),
    ...BrokerActionCommand.flags,
  }

  protected readonly action = 'kill'

  protected override extraParams(): { clean: boolean } {
    return { clean: this.flags.clean }
  }

  protected describe({ id, was, wasLeaderOf, moves, uncontrolled }: BrokerActionResult): string {
    if (was === 'killed') return `broker ${id} is already down (start it with \`sluice broker start ${id}\`)`
    if (this.flags.clean && uncontrolled) {
      return `broker ${id} stopped without a controlled shutdown: ${uncontrolled}. The controller fences it when its session times out, once a majority is back`
    }
    if (this.flags.clean) return `broker ${id} shut down cleanly; ${moves.length === 1 ? '1 leadership' : `${moves.length} leaderships`} moved first`
    return (
      `broker ${id} killed (a crash): the controller fences it when its session times out (broker.session.timeout.ms)` +
      (wasLeaderOf > 0 ? `, then elects new leaders for the ${wasLeaderOf === 1 ? 'partition' : `${wasLeaderOf} partitions`} it led` : '')
    )
  }

  protected override table({ was, moves }: BrokerActionResult): string | undefined {
    return this.flags.clean && was !== 'killed' && moves.length > 0 ? movesTable(moves) : undefined
  }

  protected output({ id, was, moves, brokers, uncontrolled }: BrokerActionResult): BrokerKillResult {
    const clean = this.flags.clean
    // A crash moves leaderships later (at the session timeout): only a clean shutdown reports moves.
    return { id, clean, alreadyDown: was === 'killed', controlled: clean && !uncontrolled, moves: clean ? moves : [], brokers }
  }
}
