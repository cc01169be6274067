import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster, parseId } from '../../client/local.js'
import type { BrokerInfo } from '../../common/control-contract.js'
import type { BrokerActionResult } from './start.js'

export default class BrokerResume extends BaseCommand<typeof BrokerResume> {
  static override summary = 'Resume a paused broker of the local cluster.'
  static override description = `The broker answers again, heartbeats (registering again if it was fenced meanwhile) and its replicas catch up and rejoin the ISR. Resuming a broker that is not paused does nothing.
Exit codes: 4 when there is no such broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker resume 2']
  static override args = {
    id: Args.string({ description: 'broker id', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<BrokerActionResult> {
    const id = parseId(this.args.id, 'broker id')
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice broker resume' })
    const was = (await local.call('broker.list', {})).brokers.find((b) => b.id === id)?.state
    const { brokers } = await local.call('broker.resume', { id })
    if (!this.jsonEnabled()) {
      if (was === 'paused') this.note(`broker ${id} resumed`)
      else this.note(`broker ${id} is not paused (${was ?? 'unknown'}): nothing to resume`)
    }
    return { id, was: was ?? 'up', brokers }
  }
}
