/** The broker that coordinates a transactional id now (FindCoordinator v4, key type 1), asked through sluice's own codec. */
import { ApiKey } from '../../src/protocol/api-keys.js'
import { RawClient } from './raw-client.js'

export async function transactionCoordinatorOf(bootstrapPort: number, transactionalId: string): Promise<number> {
  const c = await RawClient.connect(bootstrapPort)
  try {
    const answer = await c.request(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: [transactionalId] })
    return answer.coordinators[0].nodeId as number
  } finally {
    c.close()
  }
}
