/** The home's saved config: the defaults profile (`--kafka-defaults`) is saved with the brokers and read back. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveDaemonConfig } from '../../src/client/daemon.js'
import { readConfig, writeConfig } from '../../src/common/daemon-config.js'

describe('common/daemon-config kafkaDefaults', () => {
  const homes: string[] = []
  const home = (): string => {
    const h = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cfg-'))
    homes.push(h)
    return h
  }
  afterEach(() => {
    for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true })
  })

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
