/**
 * connections.max.idle.ms (a broker config, Kafka's default 10 minutes): a connection that sent
 * half a frame and went silent is closed once it has been idle that long, while a connection
 * serving requests is not. The test lowers the config at run time and waits for the close; it
 * never asserts how long that took.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KAFKAJS_UNDER_LOAD, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon
let admin: Admin

beforeAll(async () => {
  d = await startDaemon({ brokers: 1 })
  admin = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
})

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined)
  if (d) await stopDaemon(d)
})

describe('connections.max.idle.ms', () => {
  it('closes a connection that sent half a frame and went silent', async () => {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '1', configEntries: [{ name: 'connections.max.idle.ms', value: '1000' }] }] })
    const socket = net.connect(d.port, '127.0.0.1')
    socket.on('error', () => undefined)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    // A frame header announcing 100 bytes, then 10 of them, then silence.
    const half = Buffer.alloc(14)
    half.writeInt32BE(100, 0)
    socket.write(half)
    await closed
    await until('the idle close in the daemon log', () =>
      /closing idle connection broker=1 .*idleMs=1000/.test(fs.readFileSync(path.join(d.home, 'logs', 'daemon.log'), 'utf8')) ? true : undefined,
    )
    // A client that keeps talking is served as before.
    const described = await admin.describeCluster()
    expect(described.brokers).toHaveLength(1)
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '1', configEntries: [{ name: 'connections.max.idle.ms', value: '600000' }] }] })
  })
})
