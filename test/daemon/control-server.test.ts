import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ControlClient } from '../../src/client/control.js'
import { SluiceError } from '../../src/common/errors.js'
import type { ControlEventMessage, ControlMethods, SubscriptionMethod } from '../../src/common/control-contract.js'
import { ControlMethodError, ControlServer } from '../../src/daemon/control-server.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/** The transport is generic over its contract: these methods exist only for the test. */
type TestMethods = Pick<ControlMethods, SubscriptionMethod> & {
  echo: { params: Record<string, unknown>; result: unknown }
  fail: { params: Record<string, never>; result: never }
  crash: { params: Record<string, never>; result: never }
}

let dir: string
let socketPath: string
let server: ControlServer<TestMethods>
const clients: ControlClient<TestMethods>[] = []

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ctl-'))
  socketPath = path.join(dir, 'control.sock')
  server = new ControlServer<TestMethods>({ log: quiet })
  server.register('echo', (params) => params)
  server.register('fail', () => {
    throw new ControlMethodError('NOT_FOUND', 'no such thing')
  })
  server.register('crash', () => {
    throw new Error('bug')
  })
  await server.listen(socketPath)
})

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await server.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function connect(): Promise<ControlClient<TestMethods>> {
  const c = await ControlClient.connect<TestMethods>(socketPath)
  clients.push(c)
  return c
}

/** Raw lines exchanged over the socket, to pin the wire format itself. */
async function rawExchange(lines: string[], expected: number): Promise<unknown[]> {
  const socket = net.createConnection(socketPath)
  let buf = ''
  const out: unknown[] = []
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      buf += chunk.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, nl)))
        buf = buf.slice(nl + 1)
      }
      if (out.length >= expected) resolve()
    })
    socket.write(lines.join('\n') + '\n')
  })
  socket.destroy()
  return out
}

describe('daemon/control-server', () => {
  test('the socket file is mode 0600', () => {
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600)
  })

  test('wire format: {id, result} and {id, error:{code, message}}', async () => {
    const out = await rawExchange(
      ['{"id":1,"method":"echo","params":{"a":1}}', '{"id":"x","method":"nope"}', 'not json', '{"method":"echo"}'],
      4,
    )
    expect(out).toContainEqual({ id: 1, result: { a: 1 } })
    expect(out).toContainEqual({ id: 'x', error: { code: 'UNKNOWN_METHOD', message: 'unknown method "nope"' } })
    expect(out).toContainEqual({ id: null, error: { code: 'BAD_REQUEST', message: 'request is not valid JSON' } })
    expect(out).toContainEqual({ id: null, error: { code: 'BAD_REQUEST', message: 'a request needs an id and a method' } })
  })

  test('the client maps errors to SluiceError with the code (and its exit code)', async () => {
    const c = await connect()
    expect(await c.call('echo', { b: 2 })).toEqual({ b: 2 })
    const err = await c.call('fail', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SluiceError)
    expect(err).toMatchObject({ code: 'NOT_FOUND', exit: 4, message: 'no such thing' })
    expect(await c.call('crash', {}).catch((e: SluiceError) => e.code)).toBe('INTERNAL')
  })

  test('registering a method twice is a programmer error', () => {
    expect(() => server.register('echo', () => 1)).toThrow(/already registered/)
  })

  test('subscribe streams matching events until unsubscribe; filters by name and prefix', async () => {
    const c = await connect()
    const all: ControlEventMessage[] = []
    const brokers: ControlEventMessage[] = []
    await c.subscribe({}, (e) => all.push(e))
    const sub = await c.subscribe({ events: ['broker.'] }, (e) => brokers.push(e))
    server.events.publish('broker.killed', { id: 2 })
    server.events.publish('partition.leader', { topic: 't' })
    // A round trip after the publishes: events sent before the response arrive before it.
    await c.call('echo', {})
    expect(all.map((e) => e.event)).toEqual(['broker.killed', 'partition.leader'])
    expect(brokers).toEqual([{ subscription: sub.id, event: 'broker.killed', data: { id: 2 } }])
    await sub.unsubscribe()
    server.events.publish('broker.restarted', { id: 2 })
    await c.call('echo', {})
    expect(brokers).toHaveLength(1)
    expect(all).toHaveLength(3)
  })

  test('a closed connection drops its subscriptions', async () => {
    const c = await connect()
    await c.subscribe({}, () => undefined)
    expect(server.events.listenerCount('event')).toBe(1)
    c.close()
    await c.closed
    for (let i = 0; i < 100 && server.events.listenerCount('event') > 0; i++) await new Promise((r) => setTimeout(r, 5))
    expect(server.events.listenerCount('event')).toBe(0)
  })

  test('close() ends subscribers and removes the socket file; clients then see DAEMON_NOT_RUNNING', async () => {
    const c = await connect()
    await c.subscribe({}, () => undefined)
    await server.close()
    await c.closed
    expect(fs.existsSync(socketPath)).toBe(false)
    const err = await ControlClient.connect(socketPath).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'DAEMON_NOT_RUNNING', exit: 3 })
  })

  test('a stale socket file is replaced on listen', async () => {
    await server.close()
    fs.writeFileSync(socketPath, '')
    server = new ControlServer<TestMethods>({ log: quiet })
    server.register('echo', (p) => p)
    await server.listen(socketPath)
    expect(await (await connect()).call('echo', { ok: true })).toEqual({ ok: true })
  })
})
