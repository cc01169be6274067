/**
 * Connections to brokers by address, opened on first use and kept: one per broker, another opened
 * when the broker closed the last one or the connect failed.
 */
import { WireConnection, type BrokerAddress } from './connection.js'

export interface WirePoolOptions {
  clientId: string
  connectTimeoutMs: number
  /** For the ApiVersions request that opens each connection. */
  requestTimeoutMs: number
}

export class WirePool {
  private readonly pool = new Map<string, Promise<WireConnection>>()

  constructor(private readonly opts: WirePoolOptions) {}

  async get(broker: BrokerAddress): Promise<WireConnection> {
    const key = `${broker.host}:${broker.port}`
    const pooled = this.pool.get(key)
    if (pooled !== undefined) {
      const c = await pooled.catch(() => undefined)
      if (c !== undefined && !c.isClosed) return c
      // A failed connect or a connection the broker closed: open another.
      if (this.pool.get(key) === pooled) this.pool.delete(key)
      if (this.pool.has(key)) return this.get(broker)
    }
    const opened = WireConnection.open(broker, this.opts)
    this.pool.set(key, opened)
    return opened
  }

  close(): void {
    for (const p of this.pool.values()) p.then((c) => c.close(), () => undefined)
    this.pool.clear()
  }
}
