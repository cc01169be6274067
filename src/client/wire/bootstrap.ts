/**
 * Requests to "any broker of the cluster" over a WireConnection: the bootstrap servers are tried
 * in turn, and a network failure is retried as the @platformatic/kafka clients retry it (5 more
 * attempts, 200 ms apart: clientOptions() in kafka.ts), so a broker that is restarting is waited
 * for and a cluster that is down is reported as unreachable after about a second.
 */
import { clientOptions, type ClusterTarget } from '../kafka.js'
import { WireConnection, WireError, type BrokerAddress } from './connection.js'

export function parseBroker(hostPort: string): BrokerAddress {
  const colon = hostPort.lastIndexOf(':')
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) }
}

/** Runs `fn` on a connection to one bootstrap broker (closed after), retrying network failures. */
export async function withBootstrapConnection<T>(
  target: ClusterTarget,
  clientId: string,
  requestTimeoutMs: number,
  fn: (connection: WireConnection) => Promise<T>,
): Promise<T> {
  const { retries, retryDelay, connectTimeout } = clientOptions(target, clientId)
  const brokers = target.bootstrapBrokers.map(parseBroker)
  let last: unknown
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, retryDelay))
    const broker = brokers[attempt % brokers.length]!
    let connection: WireConnection
    try {
      connection = await WireConnection.open(broker, { clientId, connectTimeoutMs: connectTimeout, requestTimeoutMs })
    } catch (err) {
      last = err
      continue
    }
    try {
      return await fn(connection)
    } catch (err) {
      // A Kafka answer is the caller's to judge; only a lost connection is tried again.
      if (!(err instanceof WireError) || err.code === 'UNSUPPORTED_VERSION') throw err
      last = err
    } finally {
      connection.close()
    }
  }
  throw last
}
