import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster, parseId } from '../../client/local.js'
import type { BrokerInfo } from '../../common/control-contract.js'
import type { BrokerActionResult } from './start.js'

export default class BrokerPause extends BaseCommand<typeof BrokerPause> {
  static override summary = 'Pause a broker of the local cluster: a hung broker.'
  static override description = `The broker's connections stay open but nothing is answered: clients wait until their request timeout. Replication and heartbeats stop, so the controller fences it when its session times out (broker.session.timeout.ms) and moves its leaderships; its followers drop out of the ISRs after replica.lag.time.max.ms.
Undo with \`broker resume\`: the requests that waited are answered, against the cluster as it is by then (NOT_LEADER_OR_FOLLOWER for partitions it no longer leads), and it registers again if it was fenced.
Exit codes: 4 when there is no such broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker pause 2', '<%= config.bin %> broker pause 2 --json']
  static override args = {
    id: Args.string({ description: 'broker id', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerActionResult> {
    const id = parseId(this.args.id, 'broker id')
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker pause' })
    const was = (await local.call('broker.list', {})).brokers.find((b) => b.id === id)?.state
    const { brokers } = await local.call('broker.pause', { id })
    if (!this.jsonEnabled()) {
      if (was === 'killed') this.note(`broker ${id} is down: there is nothing to pause`)
      else if (was === 'paused') this.note(`broker ${id} is already paused`)
      else this.note(`broker ${id} paused: it answers nothing until \`sluice broker resume ${id}\``)
    }
    return { id, was: was ?? 'up', brokers }
  }
}
