import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from './fixture.js'
import { kcat, kcatPath } from './kcat.js'

describe.skipIf(!kcatPath)('interop/kcat', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('kcat -L lists the brokers and topics', async () => {
    const created = await kcat(['-b', cluster.bootstrap, '-P', '-t', 'listed'], { input: 'hello\n' })
    expect(created.exitCode, created.stderr).toBe(0)
    const result = await kcat(['-b', cluster.bootstrap, '-L', '-J'])
    expect(result.exitCode, result.stderr).toBe(0)
    const meta = JSON.parse(result.stdout) as {
      brokers: { id: number; name: string }[]
      topics: { topic: string; partitions: { partition: number; leader: number }[] }[]
    }
    expect(meta.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3])
    expect(meta.brokers.map((b) => b.name).sort()).toEqual(
      [0, 1, 2].map((i) => `127.0.0.1:${cluster.port + i}`),
    )
    const topic = meta.topics.find((t) => t.topic === 'listed')
    expect(topic?.partitions).toHaveLength(3)
    // Leaders are spread: three partitions on three brokers.
    expect(new Set(topic!.partitions.map((p) => p.leader)).size).toBe(3)
  })

  it('10,000 lines through kcat -P come back identical and in order per partition', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(i % 50) }))
    const produced = await kcat(['-b', cluster.bootstrap, '-P', '-t', 'tenk', '-X', 'linger.ms=5'], {
      input: lines.join('\n') + '\n',
    })
    expect(produced.exitCode, produced.stderr).toBe(0)

    const consumed = await kcat(['-b', cluster.bootstrap, '-C', '-t', 'tenk', '-e', '-q', '-f', '%p\t%o\t%s\n'])
    expect(consumed.exitCode, consumed.stderr).toBe(0)
    const rows = consumed.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const [p, o, ...rest] = l.split('\t')
        return { partition: Number(p), offset: Number(o), value: rest.join('\t') }
      })
    expect(rows).toHaveLength(lines.length)
    expect(rows.map((r) => r.value).sort()).toEqual([...lines].sort())

    const byPartition = new Map<number, typeof rows>()
    for (const r of rows) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r])
    const position = new Map(lines.map((l, i) => [l, i]))
    for (const [, partRows] of byPartition) {
      partRows.sort((a, b) => a.offset - b.offset)
      // Offsets are dense from 0, and the lines keep the order they were written in.
      partRows.forEach((r, i) => expect(r.offset).toBe(i))
      for (let i = 1; i < partRows.length; i++) {
        expect(position.get(partRows[i]!.value)!).toBeGreaterThan(position.get(partRows[i - 1]!.value)!)
      }
    }
  })

  it('keys, headers and explicit partitions survive the round trip', async () => {
    const input = ['k1:v1', 'k2:v2', 'k3:'].join('\n') + '\n'
    const produced = await kcat(
      ['-b', cluster.bootstrap, '-P', '-t', 'keyed', '-K', ':', '-p', '1', '-H', 'trace=abc', '-Z'],
      { input },
    )
    expect(produced.exitCode, produced.stderr).toBe(0)
    const consumed = await kcat(['-b', cluster.bootstrap, '-C', '-t', 'keyed', '-p', '1', '-e', '-q', '-J'])
    expect(consumed.exitCode, consumed.stderr).toBe(0)
    const records = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; payload: string | null; headers?: string[]; partition: number })
    expect(records.map((r) => [r.key, r.payload, r.partition])).toEqual([
      ['k1', 'v1', 1],
      ['k2', 'v2', 1],
      ['k3', null, 1],
    ])
    expect(records[0]!.headers).toEqual(['trace', 'abc'])
  })

  it('a restart keeps everything', async () => {
    const produced = await kcat(['-b', cluster.bootstrap, '-P', '-t', 'durable'], { input: 'a\nb\nc\n' })
    expect(produced.exitCode, produced.stderr).toBe(0)
    await cluster.restart()
    const consumed = await kcat(['-b', cluster.bootstrap, '-C', '-t', 'durable', '-e', '-q', '-f', '%s\n'])
    expect(consumed.exitCode, consumed.stderr).toBe(0)
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(['a', 'b', 'c'])
  })
})
