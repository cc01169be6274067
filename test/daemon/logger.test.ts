import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { mountTmpfs, unmountTmpfs } from '../helpers/tmpfs.js'
import { createLogger, fileSink, formatLogLine } from '../../src/daemon/logger.js'
import { readLastLines } from '../../src/client/log-tail.js'

const T = new Date('2026-11-23T19:00:00.123Z')

describe('daemon/logger', () => {
  test('one line: time, padded level, message, key=value fields', () => {
    expect(formatLogLine(T, 'INFO', 'broker listening', { id: 1, port: 9092 })).toBe(
      '2026-11-23T19:00:00.123Z INFO  broker listening id=1 port=9092\n',
    )
    expect(formatLogLine(T, 'ERROR', 'x')).toBe('2026-11-23T19:00:00.123Z ERROR x\n')
  })

  test('values with spaces or quotes are JSON strings; errors give their message; undefined is skipped', () => {
    const line = formatLogLine(T, 'WARN', 'm', { a: 'two words', b: 'say "hi"', err: new Error('boom'), c: undefined, d: null, o: { k: [1] } })
    expect(line).toBe('2026-11-23T19:00:00.123Z WARN  m a="two words" b="say \\"hi\\"" err=boom d=null o={"k":[1]}\n')
  })

  test('newlines never split a record', () => {
    const line = formatLogLine(T, 'ERROR', 'a\nb', { stack: 'x\ny' })
    expect(line.split('\n')).toHaveLength(2)
  })

  test('debug lines only when enabled; closed logger drops lines', () => {
    const lines: string[] = []
    const log = createLogger({ sinks: [(l) => lines.push(l)], clock: () => T })
    log.debug('hidden')
    log.info('shown')
    log.close()
    log.info('dropped')
    expect(lines).toEqual(['2026-11-23T19:00:00.123Z INFO  shown\n'])
  })

  test('a file sink appends; readLastLines returns the tail', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-log-'))
    try {
      const file = path.join(dir, 'daemon.log')
      const sink = fileSink(file)
      const log = createLogger({ sinks: [sink.write], onClose: sink.close, clock: () => T })
      for (let i = 0; i < 5000; i++) log.info(`line ${i} é`)
      log.close()
      const last = readLastLines(file, 3)!
      expect(last.lines).toEqual(['2026-11-23T19:00:00.123Z INFO  line 4997 é', expect.stringContaining('line 4998'), expect.stringContaining('line 4999')])
      expect(last.endOffset).toBe(fs.statSync(file).size)
      expect(readLastLines(file, 0)!.lines).toEqual([])
      expect(readLastLines(file, 10_000)!.lines).toHaveLength(5000)
      expect(readLastLines(path.join(dir, 'absent'), 3)).toBeUndefined()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a full disk: the reserve file makes room for the lines that say so, and no line is cut', (ctx) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-logfull-'))
    const skip = mountTmpfs(dir, 1)
    if (skip) {
      fs.rmSync(dir, { recursive: true, force: true })
      ctx.skip(skip)
    }
    try {
      const file = path.join(dir, 'daemon.log')
      const sink = fileSink(file, 64 * 1024)
      expect(fs.statSync(`${file}.reserve`).size).toBe(64 * 1024)
      // Fill the rest of the filesystem.
      const filler = fs.openSync(path.join(dir, 'filler'), 'w')
      const block = Buffer.alloc(4096, 1)
      for (;;) {
        try {
          fs.writeSync(filler, block)
        } catch {
          break
        }
      }
      fs.closeSync(filler)
      const log = createLogger({ sinks: [sink.write], onClose: sink.close, clock: () => T })
      log.error('broker 2: disk full (ENOSPC) writing /x/000003.log; its log dir is offline', { broker: 2 })
      expect(fs.existsSync(`${file}.reserve`)).toBe(false)
      expect(fs.readFileSync(file, 'utf8')).toContain('broker 2: disk full (ENOSPC)')
      // Past the reserve: lines are dropped whole, never cut.
      for (let i = 0; i < 2000; i++) log.info('filling', { i, pad: 'y'.repeat(200) })
      const text = fs.readFileSync(file, 'utf8')
      expect(text.endsWith('\n')).toBe(true)
      for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^2026-11-23T19:00:00.123Z (INFO |ERROR) /)
      log.close()
    } finally {
      unmountTmpfs(dir)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
