/** docs/unsupported.md's lists of configs accepted but not acted on must say what the code does. */
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BROKER_CONFIGS, TOPIC_CONFIGS } from '../../src/cluster/configs.js'

function listed(doc: string, marker: string): string[] {
  const section = doc.split(`<!-- ${marker}:start -->`)[1]!.split(`<!-- ${marker}:end -->`)[0]!
  return [...section.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort()
}

describe('docs/unsupported.md configs', () => {
  const doc = fs.readFileSync(new URL('../../docs/unsupported.md', import.meta.url), 'utf8')

  it('lists every topic config accepted only, and no other', () => {
    const acceptedOnly = [...TOPIC_CONFIGS.values()].filter((d) => !d.honoured).map((d) => d.name).sort()
    expect(listed(doc, 'accepted-only-topic-configs')).toEqual(acceptedOnly)
  })

  it('lists every broker config acted on, and no other', () => {
    const honoured = [...BROKER_CONFIGS.values()].filter((d) => d.honoured).map((d) => d.name).sort()
    expect(listed(doc, 'honoured-broker-configs')).toEqual(honoured)
  })
})
