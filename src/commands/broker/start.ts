import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster, parseId } from '../../client/local.js'
import type { BrokerInfo } from '../../common/control-contract.js'

export interface BrokerActionResult {
  id: number
  /** The broker's state before the action. */
  was: BrokerInfo['state']
  brokers: BrokerInfo[]
}

export default class BrokerStart extends BaseCommand<typeof BrokerStart> {
  static override summary = 'Start a killed broker of the local cluster again.'
  static override description = `The broker opens its log again, registers with the controller (with a new epoch) and is unfenced; its replicas truncate any divergent tail by leader epoch and catch up from the leaders, then rejoin the ISR. With auto.leader.rebalance.enable (the default), leadership returns to it where it is the preferred replica.
Starting a broker that runs does nothing; starting a paused one resumes it.
Exit codes: 4 when there is no such broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker start 2', '<%= config.bin %> broker start 2 --json']
  static override args = {
    id: Args.string({ description: 'broker id', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerActionResult> {
    const id = parseId(this.args.id, 'broker id')
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker start' })
    const was = (await local.call('broker.list', {})).brokers.find((b) => b.id === id)?.state
    // Opening the broker's store and registering can take a moment.
    const { brokers } = await local.call('broker.start', { id }, { timeoutMs: 30_000 })
    if (!this.jsonEnabled()) {
      if (was === 'killed') this.note(`broker ${id} started; its replicas rejoin the ISR once caught up`)
      else if (was === 'paused') this.note(`broker ${id} was paused: resumed it`)
      else this.note(`broker ${id} is already running`)
    }
    return { id, was: was ?? 'up', brokers }
  }
}
