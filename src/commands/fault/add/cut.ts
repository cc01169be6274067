import { Flags } from '@oclif/core'
import { BaseCommand } from '../../../cli/base-command.js'
import { bootstrapFlag } from '../../../cli/kafka-flags.js'
import { localCluster } from '../../../client/local.js'
import { parseLink } from '../../../cli/cluster-views.js'
import { describeFault } from '../../../common/fault-text.js'
import type { Fault } from '../../../common/control-contract.js'

export default class FaultAddCut extends BaseCommand<typeof FaultAddCut> {
  static override summary = 'Cut the link between two brokers (and their quorum voters): a network partition.'
  static override description = `Brokers A and B no longer reach each other: a follower on one side cannot fetch from a leader on the other, so after replica.lag.time.max.ms the leader drops it from the ISR (and acks=all produce, which waits for it until then, goes on with the smaller ISR, or is refused with NOT_ENOUGH_REPLICAS below min.insync.replicas). Clients and the controller still reach both brokers. When both brokers run a controller quorum voter, the voters' messages between them are lost too: cut the quorum's leader from every other voter and they elect a new one (\`cluster quorum\`, \`cluster events\`). \`fault clear\` heals the link: the follower catches up and rejoins the ISR, and a cut-off old quorum leader follows the new one.
--seed is accepted for symmetry with the other faults (a cut has no randomness).
Prints the fault's id on stdout; --json: {"fault": {id, kind, link, seed, createdAt}}.
Exit codes: 2 for a bad --link; 4 for an unknown broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> fault add cut --link 1-3', '<%= config.bin %> fault add cut --link 1-3 --json']
  static override flags = {
    link: Flags.string({ description: 'the two brokers to separate, e.g. 1-3', helpValue: 'A-B', required: true }),
    seed: Flags.integer({ description: 'seed of the drill (a cut uses none)', min: 0, helpValue: 'N' }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<{ fault: Fault }> {
    const link = parseLink(this.flags.link)
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice fault add cut' })
    const result = await local.call('fault.add', { spec: { kind: 'cut', link }, seed: this.flags.seed })
    if (!this.jsonEnabled()) {
      this.note(`added fault ${result.fault.id}: ${describeFault(result.fault)}`)
      this.log(String(result.fault.id))
    }
    return result
  }
}
