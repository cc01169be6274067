import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster } from '../../client/local.js'
import { brokerTable } from '../../cli/cluster-views.js'
import type { BrokerListResult } from '../../common/control-contract.js'

export default class BrokerList extends BaseCommand<typeof BrokerList> {
  static override summary = "List the local cluster's brokers: state, leaderships, replicas, connections."
  static override description = `States: up (registered and serving), fenced (the controller took it out: its session timed out), paused (hung: connections stay open, nothing is answered), killed (down).
LEADER OF / REPLICA OF count the partitions the broker leads / holds a replica of; EPOCH is its registration epoch (it grows each time the broker registers again); * marks the controller.
Local only: refused (exit 2, LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker list', '<%= config.bin %> broker list --json | jq ".brokers[] | select(.state != \\"up\\")"']
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerListResult> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker list' })
    const result = await local.call('broker.list', {})
    this.log(brokerTable(result.brokers, result.controllerId))
    return result
  }
}
