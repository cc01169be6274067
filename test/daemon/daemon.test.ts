/**
 * runDaemon in-process with an injected cluster: lifecycle, the status and stop methods, events.
 * (The real cluster wiring and the background process are covered by test/e2e/daemon.test.ts.)
 */
import { MetadataImage } from '../../src/cluster/metadata.js'
import { FaultInjector } from '../../src/daemon/faults.js'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ControlClient } from '../../src/client/control.js'
import type { ClusterOptions, ClusterRuntime } from '../../src/daemon/cluster-runtime.js'
import type { DaemonStatus } from '../../src/common/control-contract.js'
import type { ConfiguredBroker } from '../../src/common/daemon-config.js'
import { runDaemon } from '../../src/daemon/daemon.js'
import { LockHeldError } from '../../src/common/pid-lock.js'
import { homePaths } from '../../src/common/home-paths.js'

let home: string
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dmn-'))
})
afterEach(() => fs.rmSync(home, { recursive: true, force: true }))

function fakeCluster(log: string[]): (opts: ClusterOptions) => Promise<ClusterRuntime> {
  return async (opts) => {
    const [{ id, port }] = opts.brokers as [ConfiguredBroker]
    log.push(`start ${id}@${port}`)
    return {
      bootstrap: `${opts.host}:${port}`,
      status: () => ({
        brokers: [{ id, host: opts.host, port, state: 'up', logDirError: null, connections: 0, requests: 0, metadataOffset: -1, metadataLag: null }],
        controllerId: 1,
        topics: 0,
        partitions: 0,
        recoveries: [],
      }),
      addBroker: async () => ({ id: id + 1, port: port + 1 }),
      removeBroker: async () => [],
      rebalance: async () => ({ brokers: [id], moves: [], submitted: false }),
      reassignments: () => [],
      killBroker: async () => ({ uncontrolled: null }),
      controllers: {
        list: () => ({ mode: 'combined', leaderId: id, controllers: [] }),
        kill: async () => undefined,
        start: async () => undefined,
        pause: () => undefined,
        resume: () => undefined,
      },
      startBroker: async () => undefined,
      pauseBroker: () => undefined,
      resumeBroker: () => undefined,
      failover: async () => ({ from: 1, to: 1, leaderEpoch: 0 }),
      electPreferredLeaders: async () => 0,
      alterPartitionReassignments: async () => [],
      listPartitionReassignments: () => [],
      events: async () => [],
      partitions: () => [],
      stuckReplicas: () => [],
      addFault: () => {
        throw new Error('no faults in this fake')
      },
      clearFaults: () => 0,
      lastFailover: null,
      image: new MetadataImage(),
      faults: new FaultInjector(() => [id]),
      close: async () => {
        log.push('close')
      },
    }
  }
}

const base = { brokers: [{ id: 1, port: 9 }], host: '127.0.0.1' }

describe('daemon/daemon', () => {
  test('start: lock, config, socket, ready; stop: cluster closed, socket and pid file removed', async () => {
    const calls: string[] = []
    const d = await runDaemon({ home, ...base, startCluster: fakeCluster(calls) })
    const paths = homePaths(home)
    expect(calls).toEqual(['start 1@9'])
    expect(fs.readFileSync(paths.pidFile, 'utf8').trim()).toBe(String(process.pid))
    expect(JSON.parse(fs.readFileSync(paths.config, 'utf8'))).toEqual({ host: '127.0.0.1', brokers: [{ id: 1, port: 9 }], controllers: 1 })
    expect(d.status()).toMatchObject({ state: 'ready', pid: process.pid, bootstrap: '127.0.0.1:9', home })
    await d.stop('test')
    expect(await d.stopped).toBe('test')
    expect(calls).toEqual(['start 1@9', 'close'])
    expect(fs.existsSync(paths.pidFile)).toBe(false)
    expect(fs.existsSync(paths.socket)).toBe(false)
    const log = fs.readFileSync(paths.logFile, 'utf8')
    expect(log).toMatch(/ INFO  ready bootstrap=127\.0\.0\.1:9/)
    expect(log).toMatch(/ INFO  stopped reason=test/)
  })

  test('a second daemon on the same home gets LockHeldError', async () => {
    const d = await runDaemon({ home, ...base, startCluster: fakeCluster([]) })
    await expect(runDaemon({ home, ...base, startCluster: fakeCluster([]) })).rejects.toBeInstanceOf(LockHeldError)
    await d.stop('test')
  })

  test('status and stop over the control socket; subscribers see daemon.stopping', async () => {
    const d = await runDaemon({ home, ...base, startCluster: fakeCluster([]) })
    const c = await ControlClient.connect(homePaths(home).socket)
    const status: DaemonStatus = await c.call('status', {})
    expect(status.cluster?.brokers).toHaveLength(1)
    const events: string[] = []
    await c.subscribe({ events: ['daemon.'] }, (e) => events.push(e.event))
    expect(await c.call('stop', {})).toEqual({ pid: process.pid, stopping: true })
    expect(await d.stopped).toBe('control')
    await c.closed
    expect(events).toEqual(['daemon.stopping'])
  })

  test('a cluster that fails to start: DAEMON_START_FAILED, lock released, reason logged', async () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 9 })
    const err = await runDaemon({
      home,
      ...base,
      startCluster: async () => {
        throw inUse
      },
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'DAEMON_START_FAILED', exit: 3 })
    expect((err as Error).message).toMatch(/port 9 on 127\.0\.0\.1 is already in use/)
    const paths = homePaths(home)
    expect(fs.existsSync(paths.pidFile)).toBe(false)
    expect(fs.existsSync(paths.socket)).toBe(false)
    expect(fs.readFileSync(paths.logFile, 'utf8')).toMatch(/ERROR daemon failed to start err="port 9/)
  })
})
