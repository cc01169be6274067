import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster, parseId, movesTable } from '../../client/local.js'
import type { BrokerInfo, LeaderMove } from '../../common/control-contract.js'

export interface BrokerKillResult {
  id: number
  clean: boolean
  /** True when the broker was already down: nothing was done. */
  alreadyDown: boolean
  /** Leaderships moved before the broker stopped (--clean only; a crash moves them later). */
  moves: LeaderMove[]
  brokers: BrokerInfo[]
}

export default class BrokerKill extends BaseCommand<typeof BrokerKill> {
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
  static override args = {
    id: Args.string({ description: 'broker id', required: true }),
  }
  static override flags = {
    clean: Flags.boolean({ description: 'controlled shutdown: move leadership away first', default: false }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerKillResult> {
    const id = parseId(this.args.id, 'broker id')
    const clean = this.flags.clean
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker kill' })
    const { brokers: before } = await local.call('broker.list', {})
    const was = before.find((b) => b.id === id)
    // A controlled shutdown waits for the controller to move every leadership: allow for it.
    const result = await local.call('broker.kill', { id, clean }, { timeoutMs: 30_000 })
    const brokers = result.brokers
    const alreadyDown = was?.state === 'killed'
    const moves = clean ? result.moves : []
    if (!this.jsonEnabled()) {
      if (alreadyDown) {
        this.note(`broker ${id} is already down (start it with \`sluice broker start ${id}\`)`)
      } else if (clean) {
        this.note(`broker ${id} shut down cleanly; ${moves.length === 1 ? '1 leadership' : `${moves.length} leaderships`} moved first`)
        if (moves.length > 0) this.log(movesTable(moves))
      } else {
        const led = was?.leaderOf ?? 0
        this.note(
          `broker ${id} killed (a crash): the controller fences it when its session times out (broker.session.timeout.ms)` +
            (led > 0 ? `, then elects new leaders for the ${led === 1 ? 'partition' : `${led} partitions`} it led` : ''),
        )
      }
    }
    return { id, clean, alreadyDown, moves, brokers }
  }
}
