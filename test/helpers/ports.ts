/**
 * Free TCP ports on 127.0.0.1 for daemons under test. Brokers need consecutive ports, so this
 * binds every port of a candidate range (below the kernel's ephemeral range, where client
 * sockets would otherwise collide) and keeps the first range that binds entirely.
 */
import net from 'node:net'

function bind(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

const RANGE_LOW = 20_000
const RANGE_HIGH = 32_000
const ATTEMPTS_MAX = 100

/** The first port of `count` consecutive ports that were free a moment ago. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const base = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW - count))
    const bound: net.Server[] = []
    for (let i = 0; i < count; i++) {
      const server = await bind(base + i)
      if (!server) break
      bound.push(server)
    }
    await Promise.all(bound.map(close))
    if (bound.length === count) return base
  }
  throw new Error(`no ${count} consecutive free ports found`)
}
