import { Flags } from '@oclif/core'
import { BaseCommand } from '../../../cli/base-command.js'
import { SluiceError } from '../../../common/errors.js'
import { bootstrapFlag } from '../../../cli/kafka-flags.js'
import { localCluster } from '../../../client/local.js'
import { parseLink } from '../../../cli/cluster-views.js'
import { describeFault } from '../../../common/fault-text.js'
import type { Fault } from '../../../common/control-contract.js'

export default class FaultAddLatency extends BaseCommand<typeof FaultAddLatency> {
  static override summary = "Add latency to a broker's answers, or to the link between two brokers."
  static override description = `--broker ID: every request to that broker (from any client, kcat or your service) is answered --ms later, plus a random 0..--jitter ms.
--link A-B: replication between brokers A and B (followers' fetches, both ways) is slowed; clients are not. Slow links make followers lag: past replica.lag.time.max.ms they leave the ISR, and acks=all produce waits for them until then.
The jitter is drawn from a generator seeded with --seed (printed when not given), so a drill replays. Faults add up and last until \`fault clear\` or the daemon stops.
Prints the fault's id on stdout (for \`fault clear ID\`); --json: {"fault": {id, kind, broker|link, latencyMs, jitterMs, seed, createdAt}}.
Exit codes: 2 for a bad flag; 4 for an unknown broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> fault add latency --broker 2 --ms 50 --jitter 20',
    '<%= config.bin %> fault add latency --link 1-2 --ms 100 --seed 7',
  ]
  static override flags = {
    broker: Flags.integer({ description: "slow this broker's answers to clients", min: 0, helpValue: 'ID' }),
    link: Flags.string({ description: 'slow replication between two brokers, e.g. 1-2', helpValue: 'A-B' }),
    ms: Flags.integer({ description: 'latency added, in milliseconds', min: 0, required: true }),
    jitter: Flags.integer({ description: 'plus a random 0..N ms per request (seeded)', min: 0, helpValue: 'MS' }),
    seed: Flags.integer({ description: 'seed of the jitter, to replay a drill (default: drawn at random, and printed)', min: 0, helpValue: 'N' }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<{ fault: Fault }> {
    const { broker, ms, jitter, seed } = this.flags
    if ((broker === undefined) === (this.flags.link === undefined)) {
      throw new SluiceError('USAGE', 'give either --broker ID (latency to clients) or --link A-B (latency between brokers) (see --help)')
    }
    const link = this.flags.link === undefined ? undefined : parseLink(this.flags.link)
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice fault add latency' })
    const result = await local.call('fault.add', { spec: { kind: 'latency', broker, link, latencyMs: ms, jitterMs: jitter }, seed })
    if (!this.jsonEnabled()) {
      this.note(`added fault ${result.fault.id}: ${describeFault(result.fault)} (seed ${result.fault.seed})`)
      this.log(String(result.fault.id))
    }
    return result
  }
}
