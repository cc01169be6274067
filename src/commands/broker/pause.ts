import { BrokerActionCommand, type BrokerStateChange } from '../../cli/broker-action.js'
import type { BrokerActionResult } from '../../common/control-contract.js'

export default class BrokerPause extends BrokerActionCommand<typeof BrokerPause, BrokerStateChange> {
  static override summary = 'Pause a broker of the local cluster: a hung broker.'
  static override description = `The broker's connections stay open but nothing is answered: clients wait until their request timeout. Replication and heartbeats stop, so the controller fences it when its session times out (broker.session.timeout.ms) and moves its leaderships; its followers drop out of the ISRs after replica.lag.time.max.ms.
Undo with \`broker resume\`: the requests that waited are answered, against the cluster as it is by then (NOT_LEADER_OR_FOLLOWER for partitions it no longer leads), and it registers again if it was fenced.
Exit codes: 4 when there is no such broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> broker pause 2', '<%= config.bin %> broker pause 2 --json']

  protected readonly action = 'pause'

  protected describe({ id, was }: BrokerActionResult): string {
    if (was === 'killed') return `broker ${id} is down: there is nothing to pause`
    if (was === 'paused') return `broker ${id} is already paused`
    return `broker ${id} paused: it answers nothing until \`sluice broker resume ${id}\``
  }

  protected output({ id, was, brokers }: BrokerActionResult): BrokerStateChange {
    return { id, was, brokers }
  }
}
