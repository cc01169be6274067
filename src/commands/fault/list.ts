import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster } from '../../client/local.js'
import { faultTable } from '../../cli/cluster-views.js'
import type { Fault } from '../../common/control-contract.js'

export default class FaultList extends BaseCommand<typeof FaultList> {
  static override summary = 'List the faults in force on the local cluster.'
  static override description = `One row per fault: its id (for \`fault clear ID\`), kind, what it does, its seed and when it was added. An error fault shows how many requests it still answers; it disappears once used up.
Local only: refused (exit 2, LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> fault list', '<%= config.bin %> fault list --json']
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<{ faults: Fault[] }> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice fault list' })
    const result = await local.call('fault.list', {})
    if (!this.jsonEnabled()) {
      if (result.faults.length === 0) this.note('no faults')
      else this.log(faultTable(result.faults))
    }
    return result
  }
}
