import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { SluiceError } from '../../common/errors.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { localCluster } from '../../client/local.js'
import { movesTable } from '../../cli/cluster-views.js'
import type { ElectLeadersResult } from '../../common/control-contract.js'

export default class ClusterElectLeaders extends BaseCommand<typeof ClusterElectLeaders> {
  static override summary = 'Move leadership back to the preferred replicas (the first of each replica list).'
  static override description = `A preferred-leader election: every partition (or --topic's) whose preferred replica is alive, in the ISR and not the leader gets it as leader, with a new leader epoch. After failovers and restarts this spreads leadership over the brokers again. With auto.leader.rebalance.enable (the default) the controller does it by itself every leader.imbalance.check.interval.seconds; this is the on-demand form.
--preferred is required: it is the only election asked for by hand (unclean elections happen only as the topic config unclean.leader.election.enable allows).
Exit codes: 4 for an unknown --topic; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> cluster elect-leaders --preferred',
    '<%= config.bin %> cluster elect-leaders --preferred --topic orders --json',
  ]
  static override flags = {
    preferred: Flags.boolean({ description: 'elect the preferred replicas (required)', default: false }),
    topic: Flags.string({ description: "only this topic's partitions", helpValue: 'TOPIC' }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<ElectLeadersResult> {
    if (!this.flags.preferred) {
      throw new SluiceError('USAGE', 'say which election: --preferred (the only kind that can be asked for) (see --help)')
    }
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice cluster elect-leaders' })
    const { moved, moves } = await local.call('cluster.elect-leaders', { topic: this.flags.topic }, { timeoutMs: 30_000 })
    if (!this.jsonEnabled()) {
      this.note(moved === 0 ? 'every leader is already its preferred replica (or the preferred one is not in sync)' : `moved ${moved === 1 ? '1 leadership' : `${moved} leaderships`} to the preferred replicas`)
      if (moves.length > 0) this.log(movesTable(moves))
    }
    return { moved, moves }
  }
}
