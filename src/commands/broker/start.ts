import { BrokerActionCommand, type BrokerStateChange } from '../../cli/broker-action.js'
import type { BrokerActionResult } from '../../common/control-contract.js'

export default class BrokerStart extends BrokerActionCommand<typeof BrokerStart, BrokerStateChange> {
  static override summary = 'Start a killed broker of the local cluster again.'
  static override description = `The broker opens its log again, registers with the controller (with a new epoch) and is unfenced; its replicas truncate any divergent tail by leader epoch and catch up from the leaders, then rejoin the ISR. With auto.leader.rebalance.enable (the default), leadership returns to it where it is the preferred replica.
While the controller quorum has no majority (metadata frozen) the start returns at once: the broker is \`starting\` (fenced, not listening) and retries its registration, as a KRaft broker does, until a majority is back; then it is up.
Starting a broker that runs does nothing; starting a paused one resumes it.
Exit codes: 4 when there is no such broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker start 2', '<%= config.bin %> broker start 2 --json']

  protected readonly action = 'start'

  protected describe({ id, was, brokers }: BrokerActionResult): string {
    if (brokers.find((b) => b.id === id)?.state === 'starting') return `broker ${id} started; it registers once the controller quorum has a majority`
    if (was === 'killed') return `broker ${id} started; its replicas rejoin the ISR once caught up`
    if (was === 'paused') return `broker ${id} was paused: resumed it`
    return `broker ${id} is already running`
  }

  protected output({ id, was, brokers }: BrokerActionResult): BrokerStateChange {
    return { id, was, brokers }
  }
}
