import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { brokerTable, parseId } from '../../cli/cluster-views.js'
import { localCluster } from '../../client/local.js'
import type { BrokerRemoveResult } from '../../common/control-contract.js'

/** The broker stops cleanly (its replica state snapshotted) before the answer. */
const REMOVE_TIMEOUT_MS = 30_000

export default class BrokerRemove extends BaseCommand<typeof BrokerRemove> {
  static override summary = 'Decommission a broker of the local cluster.'
  static override description = `Refused while the broker holds a replica of any partition (exit 5, BROKER_NOT_EMPTY; the message names them). Otherwise the broker is fenced (the controller no longer elects or places it), stops, leaves the home (its port and its data) and does not come back after a daemon restart.
Exit codes: 4 when there is no such broker; 5 when it holds replicas or is the last broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker remove 4']
  static override args = {
    id: Args.string({ description: 'broker id', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerRemoveResult> {
    const id = parseId(this.args.id, 'broker id')
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker remove' })
    const result = await local.call('broker.remove', { id }, { timeoutMs: REMOVE_TIMEOUT_MS })
    if (!this.jsonEnabled()) {
      this.note(`broker ${id} removed`)
      this.log(brokerTable(result.brokers, result.controllerId))
    }
    return result
  }
}
