/**
 * Topic set-up and checks through @platformatic/kafka's admin client (the client sluice uses), so
 * the bench does not depend on `sluice topic` commands and checks counts independently of the
 * tools it measures.
 */
import { Admin } from '@platformatic/kafka'

export async function withAdmin(bootstrap, fn) {
  const admin = new Admin({ clientId: 'sluice-bench', bootstrapBrokers: [bootstrap], retries: 3, retryDelay: 200 })
  try {
    return await fn(admin)
  } finally {
    await admin.close()
  }
}

/** `replicas` -1: the cluster's default (3 on the bench's 3-broker daemon). */
export function createTopic(bootstrap, name, partitions, replicas = -1) {
  return withAdmin(bootstrap, (admin) => admin.createTopics({ topics: [name], partitions, replicas }))
}

/** Sum over partitions of the log end offsets: the records a fresh topic holds. */
export async function recordCount(bootstrap, name, partitions) {
  const topics = await withAdmin(bootstrap, (admin) =>
    admin.listOffsets({
      topics: [{ name, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, timestamp: -1n })) }],
    }),
  )
  return topics[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0)
}
