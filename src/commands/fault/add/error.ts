import { Flags } from '@oclif/core'
import { BaseCommand } from '../../../cli/base-command.js'
import { bootstrapFlag } from '../../../cli/kafka-flags.js'
import { SluiceError } from '../../../common/errors.js'
import { API_SCHEMAS } from '../../../protocol/apis.js'
import { localCluster } from '../../../client/local.js'
import { apiName } from '../../../cli/cluster-views.js'
import { describeFault } from '../../../common/fault-text.js'
import type { Fault } from '../../../common/control-contract.js'

/** The Kafka APIs by name; the daemon refuses one its brokers do not serve. */
const APIS = [...API_SCHEMAS.values()].map((a) => a.name)

export default class FaultAddError extends BaseCommand<typeof FaultAddError> {
  static override summary = 'Answer the next N requests of one API on a broker with a Kafka error code.'
  static override description = `The next --count requests of --api (any Kafka API the brokers serve, by name: produce, fetch, list-offsets, metadata, describe-configs, join-group...; any case, dashes allowed) that reach --broker are answered with --error in every error code of the response (at the top, per topic and partition, per resource or group), without being executed: nothing is appended, committed or created. Then the fault is gone. Use it to see how a client retries: NOT_LEADER_OR_FOLLOWER (a client refreshes its metadata and retries), NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, or any Kafka error name or numeric code.
Prints the fault's id on stdout; --json: {"fault": {id, kind, broker, api, error, count, remaining, seed, createdAt}}.
Exit codes: 2 for an unknown API or error name; 4 for an unknown broker; 2 (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = [
    '<%= config.bin %> fault add error --broker 2 --api produce --error NOT_LEADER_OR_FOLLOWER --count 3',
    '<%= config.bin %> fault add error --broker 1 --api fetch --error 6',
    '<%= config.bin %> fault add error --broker 1 --api describe-configs --error UNKNOWN_SERVER_ERROR',
  ]
  static override flags = {
    broker: Flags.integer({ description: 'the broker that answers with the error', min: 0, required: true, helpValue: 'ID' }),
    api: Flags.string({ description: 'the Kafka API, by name: produce, fetch, list-offsets, describe-configs, ...', required: true, helpValue: 'NAME' }),
    error: Flags.string({ description: 'a Kafka error name (NOT_LEADER_OR_FOLLOWER) or code (6)', required: true, helpValue: 'NAME|CODE' }),
    count: Flags.integer({ description: 'how many requests get the error', min: 1, default: 1 }),
    seed: Flags.integer({ description: 'seed of the drill (an error fault uses none)', min: 0, helpValue: 'N' }),
    'bootstrap-server': bootstrapFlag,
  }

  public async run(): Promise<{ fault: Fault }> {
    const { broker, count, seed } = this.flags
    const api = apiName(this.flags.api, APIS)
    if (!APIS.includes(api)) {
      throw new SluiceError('USAGE', `unknown Kafka API "${this.flags.api}" (a name such as produce, fetch, list-offsets or describe-configs)`)
    }
    const error = this.flags.error.trim().toUpperCase()
    const local = await localCluster({ home: this.home, bootstrapServer: this.flags['bootstrap-server'], command: 'sluice fault add error' })
    const result = await local.call('fault.add', { spec: { kind: 'error', broker, api, error, count }, seed })
    if (!this.jsonEnabled()) {
      this.note(`added fault ${result.fault.id}: ${describeFault(result.fault)}`)
      this.log(String(result.fault.id))
    }
    return result
  }
}
