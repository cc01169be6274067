/**
 * A partition's health, one definition for `sluice cluster status`, `cluster partitions` and the
 * dashboard (`sluice ui`): what each shows must agree during a failure.
 *
 * Leader down is the state the metadata alone does not show: a crashed (killed) or paused broker
 * is noticed at the session timeout (9 s by default), and until it is fenced the metadata still
 * names it as leader of its partitions, so nobody can produce to or consume from them although
 * they look led.
 */

export type PartitionHealth = 'ok' | 'under-replicated' | 'replica-stuck' | 'leader-down' | 'offline'

/** What the health of a partition is judged from. */
export interface HealthInput {
  leader: number
  isr: readonly number[]
  replicas: readonly number[]
  /** The replicas a reassignment in progress removes (not counted as missing from the ISR). */
  removingReplicas?: readonly number[]
  /** Followers that keep truncating and refetching the same records. */
  stuckReplicas?: readonly number[]
}

/**
 * Offline: no leader. Leader down: its leader's broker is killed, paused or has its log dir
 * offline and is not yet fenced. Replica stuck: a follower keeps truncating and refetching the
 * same records (it stays in the ISR, so acks=all writes wait on it). Under-replicated: an ISR
 * smaller than the replication factor (isUnderReplicated). The first that applies, in that order.
 */
export function partitionHealth(p: HealthInput, downBrokers?: ReadonlySet<number>): PartitionHealth {
  if (p.leader < 0) return 'offline'
  if (downBrokers?.has(p.leader)) return 'leader-down'
  if ((p.stuckReplicas?.length ?? 0) > 0) return 'replica-stuck'
  if (isUnderReplicated(p)) return 'under-replicated'
  return 'ok'
}

/**
 * An ISR smaller than the replication factor, as Kafka counts it: during a reassignment, the
 * replicas without those being removed (the replica set is then the union of old and target).
 */
export function isUnderReplicated(p: Pick<HealthInput, 'isr' | 'replicas' | 'removingReplicas'>): boolean {
  return p.isr.length < p.replicas.length - (p.removingReplicas?.length ?? 0)
}

/** Brokers that are killed, paused or whose log dir is offline: their leaderships serve nobody until they are fenced. */
export function downBrokers(brokers: ReadonlyArray<{ id: number; state: string }> | undefined): ReadonlySet<number> {
  return new Set((brokers ?? []).filter((b) => b.state === 'killed' || b.state === 'paused' || b.state === 'offline').map((b) => b.id))
}
