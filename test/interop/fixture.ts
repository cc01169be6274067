/**
 * An in-process cluster for interop tests: the real wiring (startCluster: LevelDB stores, TCP
 * listeners, the controller) in a temporary home, on free consecutive ports. Faster to start than
 * the daemon process; the daemon's own tests cover the process around it.
 */
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { startCluster, type ClusterRuntime } from '../../src/daemon/cluster-runtime.js'
import type { Logger } from '../../src/common/logger.js'
import { brokersOfShape } from '../../src/common/daemon-config.js'

export interface TestCluster {
  home: string
  host: string
  port: number
  brokers: number
  bootstrap: string
  runtime: ClusterRuntime
  /** Closes the cluster and starts it again on the same home and ports. */
  restart(): Promise<void>
  stop(): Promise<void>
}

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined }

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** n consecutive free ports on 127.0.0.1, probed from a random base in a high range. */
export async function freeConsecutivePorts(n: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000)
    let ok = true
    for (let i = 0; i < n && ok; i++) ok = await portFree(base + i)
    if (ok) return base
  }
  throw new Error(`no ${n} consecutive free ports found`)
}

export async function startTestCluster(opts: { brokers?: number; log?: Logger; scrubOnOpen?: boolean } = {}): Promise<TestCluster> {
  const brokers = opts.brokers ?? 3
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'))
  const host = '127.0.0.1'
  const port = await freeConsecutivePorts(brokers)
  const start = (): Promise<ClusterRuntime> => startCluster({ home, brokers: brokersOfShape({ brokers, port, firstBrokerId: 1 }), host, log: opts.log ?? quiet, scrubOnOpen: opts.scrubOnOpen })
  const cluster: TestCluster = {
    home,
    host,
    port,
    brokers,
    bootstrap: `${host}:${port}`,
    runtime: await start(),
    restart: async () => {
      await cluster.runtime.close()
      cluster.runtime = await start()
    },
    stop: async () => {
      await cluster.runtime.close()
      fs.rmSync(home, { recursive: true, force: true })
    },
  }
  return cluster
}
