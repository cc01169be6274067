import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { brokerTable } from '../../cli/cluster-views.js'
import { localCluster } from '../../client/local.js'
import type { BrokerAddResult } from '../../common/control-contract.js'

/** The new broker opens its store, registers and binds its listener before the answer. */
const ADD_TIMEOUT_MS = 30_000

export default class BrokerAdd extends BaseCommand<typeof BrokerAdd> {
  static override summary = 'Add a new, empty broker to the local cluster.'
  static override description = `Starts a broker with the next id (one past the highest) on the next free port after the highest, in the running daemon: it registers with the controller, replicates with the other brokers and appears in every broker's Metadata. It holds no partition until some are placed or moved on it (new topics, \`cluster rebalance\`).
The home keeps it: a daemon restart brings it back, until \`broker remove\`.
Exit codes: 5 when the cluster has 64 brokers already or no port is free; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker add', '<%= config.bin %> broker add --json | jq .id']
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerAddResult> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker add' })
    const result = await local.call('broker.add', {}, { timeoutMs: ADD_TIMEOUT_MS })
    if (!this.jsonEnabled()) {
      this.note(`broker ${result.id} added at ${result.host}:${result.port}`)
      this.log(brokerTable(result.brokers, result.controllerId))
    }
    return result
  }
}
