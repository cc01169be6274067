#!/usr/bin/env node
/**
 * A recording TCP proxy in front of Kafka brokers (a running sluice daemon, or any cluster):
 * forwards frames both ways and reports every exchange (request frame + response frame, paired
 * by correlation id), both with their 4-byte size prefix, exactly as they crossed the wire.
 *
 * Routing: a broker advertises its own address in Metadata (and FindCoordinator, DescribeCluster)
 * responses, so a client would leave the proxy right after bootstrap. The proxy listens on one
 * port per upstream broker and, in those responses only, rewrites each upstream `host` + int32
 * `port` byte sequence to the proxy's port for that broker (same length: no size changes). The
 * exchange reports the daemon's original bytes, and says whether the client got a rewritten copy.
 * Data responses (Produce, Fetch, ...) are never touched.
 *
 * As a module:
 *   const proxy = await startRecordingProxy({ brokers: [{ host, port }], onExchange })
 *   proxy.bootstrap  // '127.0.0.1:<port>' to give the client
 *   await proxy.close()
 * onExchange({ connection, correlationId, apiKey, apiVersion, request, response, rewritten }):
 * `response` is null for requests that got none (Produce with acks=0, or a closed connection).
 *
 * As a command, it saves every exchange until Ctrl-C:
 *   node test/tools/recording-proxy.mjs --upstream 127.0.0.1:9092[,127.0.0.1:9093] [--out dir]
 * as <out>/<seq>-<Api>-v<N>-request.hex and -response.hex (not golden fixtures: see
 * capture-data-path.mjs for those).
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { apiName } from './golden-files.mjs'

/** Responses that carry broker addresses: Metadata, FindCoordinator, DescribeCluster. */
const ADDRESS_APIS = new Set([3, 10, 60])
const FRAME_BYTES_MAX = 64 * 1024 * 1024

/** Splits a byte stream into size-prefixed frames; calls onFrame(frame incl. prefix) for each. */
function frameSplitter(onFrame, onBad) {
  let pending = Buffer.alloc(0)
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0)
      if (size < 4 || size > FRAME_BYTES_MAX) return onBad(`frame size ${size}`)
      if (pending.length < 4 + size) return
      // A copy: the frame outlives this chunk in the report.
      onFrame(Buffer.from(pending.subarray(0, 4 + size)))
      pending = pending.subarray(4 + size)
    }
  }
}

function int32(n) {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

/**
 * Returns `frame` with each upstream address (host bytes + int32 port) pointing at its proxy
 * port instead, or the same buffer when nothing matched.
 */
export function rewriteAddresses(frame, routes) {
  let out = frame
  for (const { host, upstreamPort, proxyPort } of routes) {
    const needle = Buffer.concat([Buffer.from(host, 'utf8'), int32(upstreamPort)])
    let at = out.indexOf(needle, 8)
    while (at >= 0) {
      if (out === frame) out = Buffer.from(frame)
      out.writeInt32BE(proxyPort, at + needle.length - 4)
      at = out.indexOf(needle, at + needle.length)
    }
  }
  return out
}

export async function startRecordingProxy({ brokers, listenHost = '127.0.0.1', onExchange = () => {} }) {
  const servers = []
  const sockets = new Set()
  const routes = []
  let connections = 0

  function handle(client, upstream) {
    const connection = ++connections
    const server = net.connect(upstream.port, upstream.host)
    sockets.add(client).add(server)
    /** correlationId -> { apiKey, apiVersion, request } */
    const inflight = new Map()
    const fail = (why) => {
      if (why) console.error(`recording-proxy: connection ${connection}: ${why}`)
      client.destroy()
      server.destroy()
    }
    client.on('data', frameSplitter((frame) => {
      const correlationId = frame.readInt32BE(8)
      inflight.set(correlationId, { apiKey: frame.readInt16BE(4), apiVersion: frame.readInt16BE(6), request: frame })
      server.write(frame)
    }, fail))
    server.on('data', frameSplitter((frame) => {
      const correlationId = frame.readInt32BE(4)
      const req = inflight.get(correlationId)
      if (!req) return fail(`response with unknown correlation id ${correlationId}`)
      inflight.delete(correlationId)
      const sent = ADDRESS_APIS.has(req.apiKey) ? rewriteAddresses(frame, routes) : frame
      client.write(sent)
      onExchange({ connection, correlationId, ...req, response: frame, rewritten: sent !== frame })
    }, fail))
    let closed = false
    const close = () => {
      if (closed) return
      closed = true
      sockets.delete(client)
      sockets.delete(server)
      for (const [correlationId, req] of inflight) onExchange({ connection, correlationId, ...req, response: null, rewritten: false })
      inflight.clear()
    }
    client.on('end', () => server.end())
    server.on('end', () => client.end())
    client.on('error', () => server.destroy())
    server.on('error', () => client.destroy())
    client.on('close', () => {
      server.destroy()
      close()
    })
    server.on('close', () => {
      client.destroy()
      close()
    })
  }

  for (const upstream of brokers) {
    // Only the port is rewritten (same length), so clients must reach the proxy on the host the broker advertises.
    if (upstream.host !== listenHost) throw new Error(`the proxy listens on ${listenHost}, the broker advertises ${upstream.host}: they must match`)
    const server = net.createServer((client) => handle(client, upstream))
    await new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, listenHost, resolve)
    })
    servers.push(server)
    routes.push({ host: upstream.host, upstreamPort: upstream.port, proxyPort: server.address().port })
  }

  return {
    /** One entry per upstream broker: { host, upstreamPort, proxyPort }. */
    routes,
    bootstrap: `${listenHost}:${routes[0].proxyPort}`,
    close: async () => {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))))
    },
  }
}

async function main() {
  const argv = process.argv.slice(2)
  let upstream = null
  let out = 'recorded-frames'
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--upstream') upstream = argv[++i]
    else if (argv[i] === '--out') out = argv[++i]
    else throw new Error(`unknown argument ${argv[i]}`)
  }
  if (!upstream) throw new Error('usage: recording-proxy.mjs --upstream host:port[,host:port...] [--out dir]')
  const brokers = upstream.split(',').map((hp) => {
    const at = hp.lastIndexOf(':')
    return { host: hp.slice(0, at), port: Number(hp.slice(at + 1)) }
  })
  fs.mkdirSync(out, { recursive: true })
  let seq = 0
  const proxy = await startRecordingProxy({
    brokers,
    onExchange: (x) => {
      const base = `${String(++seq).padStart(4, '0')}-${apiName(x.apiKey)}-v${x.apiVersion}`
      fs.writeFileSync(path.join(out, `${base}-request.hex`), x.request.toString('hex') + '\n')
      if (x.response) fs.writeFileSync(path.join(out, `${base}-response.hex`), x.response.toString('hex') + '\n')
      console.error(`${base} (connection ${x.connection}, ${x.request.length} + ${x.response?.length ?? 0} bytes${x.rewritten ? ', addresses rewritten' : ''})`)
    },
  })
  for (const r of proxy.routes) console.error(`${r.host}:${r.upstreamPort} <- 127.0.0.1:${r.proxyPort}`)
  console.log(proxy.bootstrap)
  process.on('SIGINT', () => proxy.close().then(() => process.exit(0)))
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main()
