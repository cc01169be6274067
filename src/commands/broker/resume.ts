import { BrokerActionCommand, type BrokerStateChange } from '../../cli/broker-action.js'
import type { BrokerActionResult } from '../../common/control-contract.js'

export default class BrokerResume extends BrokerActionCommand<typeof BrokerResume, BrokerStateChange> {
  static override summary = 'Resume a paused broker of the local cluster.'
  static override description = `The broker answers again, heartbeats (registering again if it was fenced meanwhile) and its replicas catch up and rejoin the ISR. Resuming a broker that is not paused does nothing.
Exit codes: 4 when there is no such broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker resume 2']

  protected readonly action = 'resume'

  protected describe({ id, was }: BrokerActionResult): string {
    return was === 'paused' ? `broker ${id} resumed` : `broker ${id} is not paused (${was}): nothing to resume`
  }

  protected output({ id, was, brokers }: BrokerActionResult): BrokerStateChange {
    return { id, was, brokers }
  }
}
