import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { brokerTable, parseId, replicaMovesTable } from '../../cli/cluster-views.js'
import { localCluster } from '../../client/local.js'
import type { BrokerRemoveResult } from '../../common/control-contract.js'

/** The broker stops cleanly (its replica state snapshotted) before the answer. */
const REMOVE_TIMEOUT_MS = 30_000
/** With --move, the daemon waits up to 10 minutes for the replicas to move off. */
const MOVE_TIMEOUT_MS = 11 * 60_000

export default class BrokerRemove extends BaseCommand<typeof BrokerRemove> {
  static override summary = 'Decommission a broker of the local cluster.'
  static override description = `Refused while the broker holds a replica of any partition (exit 5, BROKER_NOT_EMPTY; the message names them), unless --move: each of its replicas then moves to the live broker with the fewest replicas that the partition lacks (partition reassignments: the new replica catches up, joins the ISR, the old one is dropped), and the command waits until they all moved (up to 10 minutes).
Then the broker is fenced (the controller no longer elects or places it), stops, leaves the home (its port and its data) and does not come back after a daemon restart.
Exit codes: 4 when there is no such broker; 5 when it holds replicas (without --move), when no live broker can take one of them, or when it is the last broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker remove 4', '<%= config.bin %> broker remove 2 --move']
  static override args = {
    id: Args.string({ description: 'broker id', required: true }),
  }
  static override flags = {
    move: Flags.boolean({ description: 'move its replicas to the other live brokers first', default: false }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerRemoveResult> {
    const id = parseId(this.args.id, 'broker id')
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker remove' })
    if (this.flags.move && !this.jsonEnabled()) this.note(`moving broker ${id}'s replicas off, then removing it`)
    const result = await local.call('broker.remove', { id, move: this.flags.move }, { timeoutMs: this.flags.move ? MOVE_TIMEOUT_MS : REMOVE_TIMEOUT_MS })
    if (!this.jsonEnabled()) {
      if (result.moved.length > 0) this.log(replicaMovesTable(result.moved))
      this.note(`broker ${id} removed${result.moved.length > 0 ? ` after moving ${result.moved.length} replica${result.moved.length === 1 ? '' : 's'} off` : ''}`)
      this.log(brokerTable(result.brokers, result.controllerId))
    }
    return result
  }
}
