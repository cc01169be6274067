/**
 * Debian's Go clients against a real in-process cluster: kafka-go 0.2.1 (Produce v2 with magic-1
 * messages, Fetch v2) and sarama 1.22 at three protocol levels (0.8.2: Produce v0 / Fetch v0 with
 * magic 0; 0.10.2: Produce v2 / Fetch v3 with magic 1, plain and compressed; 2.1: record batches),
 * and a consumer group of each. test/interop/go/oldclients is built once, in GOPATH mode from
 * /usr/share/gocode (offline); skipped, with the reason in the name, when Go or the packages are
 * missing (.ci/run installs them).
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { startTestCluster, type TestCluster } from './fixture.js'
import type { RawClient } from '../support/raw-client.js'
import { brokerClients } from '../support/broker-clients.js'
import { programRecords } from '../support/program-records.js'
import { until } from '../helpers/wait.js'

const run = promisify(execFile)
const GOPATH = '/usr/share/gocode'
const SOURCE = path.join(import.meta.dirname, 'go', 'oldclients')

function whichGo(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'go')
    if (fs.existsSync(candidate)) return candidate
  }
  return null
}

const go = whichGo()
const missing = !go
  ? 'go is not installed (golang-go)'
  : !fs.existsSync(`${GOPATH}/src/github.com/Shopify/sarama`)
    ? 'golang-github-shopify-sarama-dev is not installed'
    : !fs.existsSync(`${GOPATH}/src/github.com/segmentio/kafka-go`)
      ? 'golang-github-segmentio-kafka-go-dev is not installed'
      : null

describe.skipIf(missing !== null)(`interop/go-clients${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  let admin: RawClient
  let dir: string
  let binary: string

  async function createTopic(name: string): Promise<void> {
    await clients.createTopic(name, { replicationFactor: 1, configs: [{ name: 'min.insync.replicas', value: '1' }] })
    await until(`a leader of ${name}`, () => (cluster.runtime.image.topicsByName.get(name)?.partitions[0]?.leader ?? -1) >= 0 || undefined)
  }

  /** Runs the Go program; the records it read, as [offset, key, value]. */
  const oldclients = (...args: string[]) => programRecords(`oldclients ${args.join(' ')}`, binary, args, 60_000)

  const expected = (n: number, value: (i: number) => string): [number, string, string][] => Array.from({ length: n }, (_, i) => [i, `k${i}`, value(i)])

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-go-'))
    binary = path.join(dir, 'oldclients')
    // GOPATH mode: the imports resolve in Debian's /usr/share/gocode, nothing is downloaded. The
    // flag quiets a deprecation warning of the zstd binding that sarama imports (built with cgo).
    const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', CGO_CFLAGS: '-Wno-deprecated-declarations' }
    // Go keeps its build cache under $HOME (warm, the build takes seconds); without one, a temp dir.
    if (!process.env.HOME && !process.env.GOCACHE) env.GOCACHE = path.join(dir, 'gocache')
    await Promise.all([
      run(go!, ['build', '-o', binary, '.'], { cwd: SOURCE, env, timeout: 300_000 }),
      (async () => {
        cluster = await startTestCluster({ brokers: 1 })
        admin = await clients.broker(1)
      })(),
    ])
  }, 300_000)
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('kafka-go 0.2.1 produces magic-1 messages (Produce v2) and reads them back (Fetch v2)', async () => {
    await createTopic('go-kafka-go')
    expect(await oldclients('kafka-go', cluster.bootstrap, 'go-kafka-go', '20')).toEqual(expected(20, (i) => `kafka-go ${i}`))
  })

  it('a kafka-go consumer group reads what was produced and commits it', async () => {
    const read = await oldclients('kafka-go-group', cluster.bootstrap, 'go-kafka-go', '20', 'go-kafka-go-group')
    expect(read).toEqual(expected(20, (i) => `kafka-go ${i}`))
    const res = await admin.request(ApiKey.OffsetFetch, 1, { groupId: 'go-kafka-go-group', topics: [{ name: 'go-kafka-go', partitionIndexes: [0] }] })
    expect([res.topics[0].partitions[0].errorCode, Number(res.topics[0].partitions[0].committedOffset)]).toEqual([ErrorCode.NONE, 20])
  })

  // Magic 0 (0.8.2), magic 1 (0.10.2) and record batches (2.1); compressed sets of either old
  // magic: one wrapper holding every message, v1's with relative inner offsets.
  const saramaRuns: [string, string][] = [
    ['0.8.2.0', 'none'],
    ['0.8.2.0', 'gzip'],
    ['0.10.2.0', 'none'],
    ['0.10.2.0', 'gzip'],
    ['0.10.2.0', 'snappy'],
    ['0.10.2.0', 'lz4'],
    ['2.1.0', 'none'],
  ]
  for (const [version, codec] of saramaRuns) {
    it(`sarama at Kafka ${version}, ${codec}, produces and reads back`, async () => {
      const topic = `go-sarama-${version.replaceAll('.', '-')}-${codec}`
      await createTopic(topic)
      expect(await oldclients('sarama', cluster.bootstrap, topic, '10', version, codec)).toEqual(expected(10, (i) => `sarama ${version} ${i}`))
    })
  }

  it('a sarama consumer group (0.10.2) reads what was produced and commits it', async () => {
    const topic = 'go-sarama-0-10-2-0-none'
    const read = await oldclients('sarama-group', cluster.bootstrap, topic, '10', '0.10.2.0', 'go-group')
    expect(read).toEqual(expected(10, (i) => `sarama 0.10.2.0 ${i}`))
    // Closing the group commits the offsets marked: the next record to read is 10.
    const res = await admin.request(ApiKey.OffsetFetch, 1, { groupId: 'go-group', topics: [{ name: topic, partitionIndexes: [0] }] })
    expect([res.topics[0].partitions[0].errorCode, Number(res.topics[0].partitions[0].committedOffset)]).toEqual([ErrorCode.NONE, 10])
  })
})
