import { Flags } from '@oclif/core'
import { BaseCommand } from '../../cli/base-command.js'
import { bootstrapFlag } from '../../cli/kafka-flags.js'
import { formatDurationMs, formatTable } from '../../cli/table.js'
import { resolveCluster } from '../../client/kafka.js'
import { parseTxnState, partitionCount, TXN_STATES, withTxnAdmin, type TransactionInfo } from '../../client/txn-admin.js'

export default class TxnList extends BaseCommand<typeof TxnList> {
  static override summary = 'List the transactions the cluster coordinates: state, producer, age, timeout; hung ones marked.'
  static override description = `One line per transactional id, from every broker's transaction coordinator (ListTransactions, then DescribeTransactions): its state (${TXN_STATES.join(', ')}), producer id and epoch, how long its open transaction has been open ("-" when none is), its timeout, and how many partitions it has written to.
A transaction is hung when it has been open longer than its timeout (the coordinator should have aborted it): the HUNG column says so. Until it ends, read_committed consumers of its partitions wait at it.
--json writes one object per line: {"transactionalId","state","producerId","producerEpoch","timeoutMs","startTimeMs","ageMs","hung","coordinator","partitions":[{"topic","partitions"}]}.
Works against any Kafka cluster 3.0 or later (--bootstrap-server).
Exit codes: 2 bad flags, 3 cluster unreachable, 7 other Kafka errors.`
  static override examples = [
    '<%= config.bin %> txn list',
    '<%= config.bin %> txn list --state Ongoing',
    '<%= config.bin %> txn list --hung',
    '<%= config.bin %> txn list --json | jq -r "select(.hung) | .transactionalId"',
  ]
  static override flags = {
    'bootstrap-server': bootstrapFlag,
    state: Flags.string({ description: `only transactions in these states (a comma list): ${TXN_STATES.join(', ')}`, helpValue: 'state' }),
    hung: Flags.boolean({ description: 'only transactions open longer than their timeout', default: false }),
  }

  public async run(): Promise<{ transactions: TransactionInfo[] }> {
    const { flags } = this
    const states = flags.state?.split(',').map((s) => parseTxnState(s))
    const target = await resolveCluster({ bootstrapServer: flags['bootstrap-server'], home: this.home })
    let transactions = await withTxnAdmin(target, (a) => a.list({ states }))
    if (flags.hung) transactions = transactions.filter((t) => t.hung)
    if (!this.jsonEnabled()) {
      if (transactions.length === 0) this.note(flags.hung ? 'no hung transactions' : 'no transactions')
      else {
        this.log(
          formatTable(
            ['transactional id', 'state', 'producer id', 'epoch', 'open for', 'timeout', 'partitions', 'hung'],
            transactions.map((t) => [
              t.transactionalId,
              t.state,
              t.producerId,
              t.producerEpoch,
              t.ageMs === null ? '-' : formatDurationMs(t.ageMs),
              formatDurationMs(t.timeoutMs),
              partitionCount(t),
              t.hung ? 'HUNG' : '',
            ]),
          ),
        )
      }
    }
    return { transactions }
  }

  /** --json: one transaction per line (an error stays one {"error":...} line). */
  public override logJson(json: unknown): void {
    const { transactions } = json as { transactions: TransactionInfo[] }
    process.stdout.write(transactions.map((t) => JSON.stringify(t) + '\n').join(''))
  }
}
