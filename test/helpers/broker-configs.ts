/**
 * Broker configs for tests that kill brokers and wait for failovers: short sessions and lag
 * limits, so that a failover takes a second or two instead of Kafka's defaults' tens of seconds.
 */

/** Failovers in about a second; no preferred-leader election after a restart (a second move per round). */
export const FAST_FAILOVER_CONFIGS: Readonly<Record<string, string>> = {
  'broker.session.timeout.ms': '1000',
  'broker.heartbeat.interval.ms': '200',
  'replica.lag.time.max.ms': '2000',
  'auto.leader.rebalance.enable': 'false',
}

/** How long a broker may take to apply a new heartbeat interval: its next beat, up to the default 2 s away. */
const HEARTBEAT_APPLIES_WITHIN_MS = 2_500

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
  const heartbeatsApplyAt = Date.now() + HEARTBEAT_APPLIES_WITHIN_MS
  await meanwhile()
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, heartbeatsApplyAt - Date.now())))
  await set({ ...configs })
}
