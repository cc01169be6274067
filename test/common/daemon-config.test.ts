/** The home's saved config: the defaults profile (`--kafka-defaults`) and `--fsync` are saved with the brokers and read back. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveDaemonConfig } from '../../src/client/daemon.js'
import { checkConfig, readConfig, voterIds, writeConfig } from '../../src/common/daemon-config.js'
import { daemonArgs } from '../../src/common/daemon-entry.js'

const homes: string[] = []
const home = (): string => {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cfg-'))
  homes.push(h)
  return h
}
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true })
})

describe('common/daemon-config kafkaDefaults', () => {
  it('is off unless asked; a flag wins over the saved choice, which wins over the default', () => {
    const h = home()
    const file = path.join(h, 'config.json')
    expect(resolveDaemonConfig({ home: h, env: {} }).kafkaDefaults).toBeUndefined()
    writeConfig(file, { host: '127.0.0.1', brokers: [{ id: 1, port: 19092 }], kafkaDefaults: true })
    expect(readConfig(file).kafkaDefaults).toBe(true)
    expect(resolveDaemonConfig({ home: h, env: {} }).kafkaDefaults).toBe(true)
    expect(resolveDaemonConfig({ home: h, env: {}, kafkaDefaults: false }).kafkaDefaults).toBe(false)
  })

  it('is saved beside the brokers only when on', () => {
    const file = path.join(home(), 'config.json')
    writeConfig(file, { host: '127.0.0.1', brokers: [{ id: 0, port: 19092 }], kafkaDefaults: false })
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ host: '127.0.0.1', brokers: [{ id: 0, port: 19092 }] })
    writeConfig(file, { host: '127.0.0.1', brokers: [{ id: 0, port: 19092 }], kafkaDefaults: true })
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ host: '127.0.0.1', brokers: [{ id: 0, port: 19092 }], kafkaDefaults: true })
  })
})

describe('common/daemon-config fsync', () => {
  it('is off unless asked; a flag wins over the saved choice, which a later start keeps', () => {
    const h = home()
    const file = path.join(h, 'config.json')
    const brokers = [{ id: 1, port: 19092 }]
    expect(resolveDaemonConfig({ home: h, env: {} }).fsync).toBeUndefined()
    // Only the flag and the home turn it on: no environment variable does.
    expect(resolveDaemonConfig({ home: h, env: { SLUICE_FSYNC: '1' } }).fsync).toBeUndefined()
    writeConfig(file, { host: '127.0.0.1', brokers, fsync: false })
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ host: '127.0.0.1', brokers })
    writeConfig(file, { host: '127.0.0.1', brokers, fsync: true })
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ host: '127.0.0.1', brokers, fsync: true })
    expect(readConfig(file).fsync).toBe(true)
    expect(resolveDaemonConfig({ home: h, env: {} }).fsync).toBe(true)
    expect(resolveDaemonConfig({ home: h, env: {}, fsync: false }).fsync).toBe(false)
  })

  it('is passed to the daemon process only when on', () => {
    const brokers = [{ id: 1, port: 19092 }]
    expect(daemonArgs('/h', { host: '127.0.0.1', brokers, fsync: true })).toContain('--fsync')
    expect(daemonArgs('/h', { host: '127.0.0.1', brokers, fsync: false })).not.toContain('--fsync')
  })
})

describe('common/daemon-config controllerMode', () => {
  it('gives dedicated controllers ids of their own, 3 of them whatever the broker count', () => {
    const brokers = [{ id: 1, port: 19092 }]
    expect(voterIds({ brokers, controllerMode: 'dedicated' })).toEqual([3000, 3001, 3002])
    expect(voterIds({ brokers, controllers: 5, controllerMode: 'dedicated' })).toEqual([3000, 3001, 3002, 3003, 3004])
    expect(voterIds({ brokers })).toEqual([1])
    expect(checkConfig({ host: 'h', brokers, controllers: 3, controllerMode: 'dedicated' })).toBeUndefined()
    expect(checkConfig({ host: 'h', brokers: [{ id: 3001, port: 19092 }], controllerMode: 'dedicated' })).toMatch(/3001 is a dedicated controller's id/)
  })

  it('is saved for the home, and a change is a usage error (exit 2)', () => {
    const h = home()
    const file = path.join(h, 'config.json')
    const config = resolveDaemonConfig({ home: h, env: {}, controllerMode: 'dedicated' })
    expect(config).toMatchObject({ controllers: 3, controllerMode: 'dedicated' })
    writeConfig(file, config)
    expect(readConfig(file).controllerMode).toBe('dedicated')
    expect(resolveDaemonConfig({ home: h, env: {} }).controllerMode).toBe('dedicated')
    expect(() => resolveDaemonConfig({ home: h, env: {}, controllerMode: 'combined' })).toThrow(expect.objectContaining({ exit: 2 }))
    // A home saved without a mode ran combined: it stays so.
    writeConfig(file, { host: '127.0.0.1', brokers: [{ id: 1, port: 19092 }], controllers: 1 })
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).controllerMode).toBeUndefined()
    expect(() => resolveDaemonConfig({ home: h, env: {}, controllerMode: 'dedicated' })).toThrow(/combined mode and cannot change/)
  })
})
