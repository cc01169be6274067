/**
 * Consecutive free TCP ports on 127.0.0.1 for the bench daemon (brokers take port, port+1, ...),
 * below the kernel's ephemeral range so client sockets do not collide with them.
 */
import net from 'node:net'

function bind(port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

export async function freePortRange(count) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count))
    const bound = []
    for (let i = 0; i < count; i++) {
      const server = await bind(base + i)
      if (!server) break
      bound.push(server)
    }
    await Promise.all(bound.map((s) => new Promise((resolve) => s.close(resolve))))
    if (bound.length === count) return base
  }
  throw new Error(`no ${count} consecutive free ports found`)
}
