/** docs/protocol.md's API table must say exactly what ApiVersions advertises. */
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { allHandlers } from '../../src/broker/handler.js'
import '../../src/broker/handlers/index.js'

describe('docs/protocol.md', () => {
  it('lists every served API with its advertised versions', () => {
    const doc = fs.readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
    const table = doc.split('<!-- api-table:start -->')[1]!.split('<!-- api-table:end -->')[0]!
    const rows = [...table.matchAll(/^\| (\d+) \| (\w+) \| (\d+)-(\d+) \|$/gm)].map((m) => [Number(m[1]), m[2], Number(m[3]), Number(m[4])])
    const served = allHandlers().map((h) => [h.apiKey, h.name, h.minVersion, h.maxVersion])
    expect(rows).toEqual(served)
  })
})
