import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster } from '../../client/local.js'
import { parseId } from '../../cli/cluster-views.js'

export default class FaultClear extends BaseCommand<typeof FaultClear> {
  static override summary = 'Remove one fault, or all of them: the cluster heals.'
  static override description = `Without ID, every fault goes. Cut links reconnect, latency stops; followers catch up and rejoin the ISR.
--json: {"cleared": N}. Exit codes: 4 when there is no fault ID; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> fault clear', '<%= config.bin %> fault clear 3']
  static override args = {
    id: Args.string({ description: 'the fault to remove (see `fault list`); all when absent' }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<{ cleared: number }> {
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice fault clear' })
    const result = await local.call('fault.clear', { id: this.args.id === undefined ? undefined : parseId(this.args.id, 'fault id') })
    if (!this.jsonEnabled()) {
      const n = result.cleared
      this.note(n === 0 ? 'no faults to clear' : `cleared ${n === 1 ? '1 fault' : `${n} faults`}`)
    }
    return result
  }
}
