import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../cli/base-command.js'
import { SluiceError } from '../common/errors.js'
import { bootstrapFlag } from '../cli/kafka-flags.js'
import { localCluster } from '../client/local.js'
import { movesTable, parseTopicPartition } from '../cli/cluster-views.js'
import type { FailoverResult } from '../common/control-contract.js'

export default class Failover extends BaseCommand<typeof Failover> {
  static override summary = "Move a partition's leadership to another in-sync replica: the quickest failover drill."
  static override description = `TOPIC:PARTITION moves that partition's leader; TOPIC alone moves every partition that the topic's busiest leader leads (the broker leading most of its partitions), as if that broker had failed, but without stopping anything.
The new leader is the next live in-sync replica after the current leader in replica order, or --to ID (which must be one). Each move bumps the leader epoch; clients see NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH, refresh their metadata and carry on.
Exit codes: 7 (FAILOVER_REFUSED) when no other live in-sync replica exists (e.g. replication factor 1) or --to is not one; 4 for an unknown topic, partition or broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> failover orders:0',
    '<%= config.bin %> failover orders:0 --to 3',
    '<%= config.bin %> failover orders --json',
  ]
  static override args = {
    target: Args.string({ description: 'TOPIC or TOPIC:PARTITION', required: true }),
  }
  static override flags = {
    to: Flags.integer({ description: 'the broker to lead (an in-sync replica of the partition)', min: 0, helpValue: 'ID' }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<FailoverResult> {
    const { topic, partition } = parseTopicPartition(this.args.target)
    const to = this.flags.to
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice failover' })
    if (to !== undefined) {
      const { brokers } = await local.call('broker.list', {})
      if (!brokers.some((b) => b.id === to)) {
        throw new SluiceError('NOT_FOUND', `no broker ${to} (brokers are ${brokers.map((b) => b.id).join(', ')})`)
      }
    }
    const result = await local.call('cluster.failover', { topic, partition, to }, { timeoutMs: 30_000 })
    if (!this.jsonEnabled()) {
      const n = result.moves.length
      this.note(`moved the leadership of ${n === 1 ? '1 partition' : `${n} partitions`}`)
      this.log(movesTable(result.moves))
    }
    return result
  }
}
