/**
 * Broker configs for tests that kill brokers and wait for failovers: short sessions and lag
 * limits, so that a failover takes a second or two instead of Kafka's defaults' tens of seconds.
 */
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { RawClient } from '../support/raw-client.js'

/** Failovers in about a second; no preferred-leader election after a restart (a second move per round). */
export const FAST_FAILOVER_CONFIGS: Readonly<Record<string, string>> = {
  'broker.session.timeout.ms': '1000',
  'broker.heartbeat.interval.ms': '200',
  'replica.lag.time.max.ms': '2000',
  'auto.leader.rebalance.enable': 'false',
}

/**
 * How long until every broker has beaten at a new heartbeat interval: a broker that applies a
 * config shortening its interval reschedules its pending beat at once (Broker.onMetadata), and the
 * answer to the change comes after every running broker applied it; three intervals leave room
 * for a late timer. A change that leaves the interval alone waits for the next beat at the old
 * one, up to the default 2 s away.
 */
function heartbeatsApplyWithinMs(configs: Readonly<Record<string, string>>): number {
  const intervalMs = configs['broker.heartbeat.interval.ms']
  return intervalMs === undefined ? 2_500 : 3 * Number(intervalMs)
}

/**
 * Sets dynamic broker configs (`set` replaces the whole dynamic set, as AlterConfigs does) in the
 * order that fences no broker: the heartbeat interval first, then, once every broker beats at the
 * new interval, the shorter session (a session shorter than the interval in force would fence).
 * `meanwhile` (creating topics, say) runs while the interval takes effect.
 */
export async function applyBrokerConfigs(
  set: (configs: Record<string, string>) => Promise<unknown>,
  configs: Readonly<Record<string, string>>,
  meanwhile: () => Promise<unknown> = async () => undefined,
): Promise<void> {
  const { 'broker.session.timeout.ms': _session, ...beforeSession } = configs
  await set(beforeSession)
  const heartbeatsApplyAt = Date.now() + heartbeatsApplyWithinMs(configs)
  await meanwhile()
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, heartbeatsApplyAt - Date.now())))
  await set({ ...configs })
}

/**
 * A `set` for applyBrokerConfigs through IncrementalAlterConfigs (SET, cluster-wide): unlike
 * AlterConfigs it leaves the dynamic configs it does not name as they are.
 */
export function incrementalBrokerConfigs(d: { port: number }): (configs: Record<string, string>) => Promise<void> {
  return async (configs) => {
    const client = await RawClient.connect(d.port)
    try {
      const altered = await client.request(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: 4, resourceName: '', configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }],
        validateOnly: false,
      })
      const r = altered.responses[0]
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`IncrementalAlterConfigs ${JSON.stringify(configs)}: error ${r.errorCode} ${r.errorMessage ?? ''}`)
    } finally {
      client.close()
    }
  }
}
