/**
 * Where a coordinator key lives: a group id in `__consumer_offsets`, a transactional id in
 * `__transaction_state`, each at abs(Java String.hashCode) mod the topic's partition count, as
 * Kafka places them, so that a key's coordinator is the same broker Kafka would pick.
 */

/** Java's String.hashCode over UTF-16 code units. */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** The partition of a coordinator key (group id or transactional id) among `partitions`. */
export function coordinatorPartitionFor(key: string, partitions: number): number {
  const h = javaStringHash(key)
  // Kafka's Utils.abs: the absolute value, with Integer.MIN_VALUE mapped to 0.
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions
}
