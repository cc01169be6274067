import { BaseCommand } from '../../cli/base-command.js'
import { controllerTable } from '../../cli/controller-action.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster } from '../../client/local.js'
import type { ControllerListResult } from '../../common/control-contract.js'

export default class ControllerList extends BaseCommand<typeof ControllerList> {
  static override summary = "List the local cluster's controller quorum voters: state, Raft role and epoch; * marks the leader."
  static override description = `The voters of the controller quorum (KRaft's __cluster_metadata): in combined mode (the default) the first brokers' ids, in dedicated mode (\`daemon start --controller-mode dedicated\`) controllers of their own, ids 3000, 3001, ...
States: running, paused (hung: cut off from the other voters), killed (down). ROLE and EPOCH are the voter's own Raft state; * marks the quorum's leader, the active controller. The JSON has the mode and the leader (-1: none, metadata is frozen).
Local only: refused (exit 2, LOCAL_ONLY) when --bootstrap-server names another cluster; \`sluice cluster quorum\` asks any Kafka cluster (DescribeQuorum).`
  static override examples = ['<%= config.bin %> controller list', '<%= config.bin %> controller list --json | jq ".controllers[] | select(.state != \\"running\\")"']
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<ControllerListResult> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice controller list' })
    const result = await local.call('controller.list', {})
    this.log(controllerTable(result))
    if (result.leaderId < 0) this.note('no controller leads: an election is running, or no majority of the controllers is up (metadata changes wait)')
    return result
  }
}
