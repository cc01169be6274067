import { Args } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatDurationMs, formatFields } from '../../cli/table.js'
import { resolveCluster } from '../../client/kafka.js'
import { withTxnAdmin, type TransactionInfo } from '../../client/txn-admin.js'

export default class TxnDescribe extends BaseCommand<typeof TxnDescribe> {
  static override summary = "Show a transactional id's state, producer id and epoch, timeout, age and partitions."
  static override description = `Asks the id's transaction coordinator (FindCoordinator, then DescribeTransactions): the state, the producer id and epoch, the transaction timeout, when the open transaction started and how long it has been open, whether it is hung (open longer than its timeout), the coordinator broker, and the partitions the transaction has written to.
Works against any Kafka cluster 3.0 or later (--bootstrap-server).
Exit codes: 4 when no coordinator knows the transactional id, 3 cluster unreachable, 7 other Kafka errors.`
  static override examples = ['<%= config.bin %> txn describe payments-1', '<%= config.bin %> txn describe payments-1 --json | jq .partitions']
  static override args = { id: Args.string({ description: 'transactional id', required: true }) }
  static override flags = { 'bootstrap-server': bootstrapFlag }

  public async run(): Promise<TransactionInfo> {
    const target = await resolveCluster({ bootstrapServer: this.flags['bootstrap-server'], home: this.home })
    const t = await withTxnAdmin(target, (a) => a.describe(this.args.id))
    if (!this.jsonEnabled()) {
      const open = t.startTimeMs === null || t.ageMs === null ? null : { started: new Date(t.startTimeMs).toISOString(), age: formatDurationMs(t.ageMs) }
      this.log(
        formatFields([
          ['transactional id', t.transactionalId],
          ['state', t.hung ? `${t.state} (HUNG: open longer than its timeout)` : t.state],
          ['producer id', t.producerId],
          ['producer epoch', t.producerEpoch],
          ['timeout', formatDurationMs(t.timeoutMs)],
          ['started', open?.started ?? '-'],
          ['open for', open?.age ?? '-'],
          ['coordinator', `broker ${t.coordinator}`],
          ['partitions', t.partitions.map((p) => `${p.topic}:${p.partitions.join(',')}`).join(' ') || '-'],
        ]),
      )
    }
    return t
  }
}
