/** The home's saved config: the defaults profile (`--kafka-defaults`) is saved and read back. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveDaemonConfig } from '../../src/client/daemon.js'
import { readConfig, saveKafkaDefaults, writeConfigIfAbsent } from '../../src/common/daemon-config.js'

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
    writeConfigIfAbsent(file, { brokers: 1, port: 19092, host: '127.0.0.1', kafkaDefaults: true })
    expect(readConfig(file).kafkaDefaults).toBe(true)
    expect(resolveDaemonConfig({ home: h, env: {} }).kafkaDefaults).toBe(true)
    expect(resolveDaemonConfig({ home: h, env: {}, kafkaDefaults: false }).kafkaDefaults).toBe(false)
  })

  it('saving another choice keeps the other fields, and the same choice leaves the file alone', () => {
    const file = path.join(home(), 'config.json')
    fs.writeFileSync(file, JSON.stringify({ brokers: 2, port: 19092, host: '127.0.0.1', other: 'kept' }))
    const before = fs.statSync(file).mtimeMs
    saveKafkaDefaults(file, false)
    expect(fs.statSync(file).mtimeMs).toBe(before)
    saveKafkaDefaults(file, true)
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ brokers: 2, port: 19092, host: '127.0.0.1', other: 'kept', kafkaDefaults: true })
    saveKafkaDefaults(file, false)
    expect(readConfig(file).kafkaDefaults).toBe(false)
  })
})
