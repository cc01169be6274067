/**
 * Debian's kafka-python (python3-kafka 2.0.2) against a real in-process cluster: produce and read
 * back with the versions it negotiates, and pinned to Kafka 0.10.1 (Produce v2 / Fetch v3 with
 * magic-1 messages) and 0.9 (Produce v1 / Fetch v1 with magic 0); and a consumer group that
 * commits. Skipped, with the reason in the name, when /usr/bin/python3 cannot import kafka
 * (.ci/run installs python3-kafka).
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { startTestCluster, type TestCluster } from './fixture.js'
import type { RawClient } from '../support/raw-client.js'
import { brokerClients } from '../support/broker-clients.js'
import { programRecords } from '../support/program-records.js'
import { until } from '../helpers/wait.js'

// Debian's interpreter, where python3-kafka installs (a python3 earlier on PATH may lack it).
const PYTHON = '/usr/bin/python3'
const SCRIPT = path.join(import.meta.dirname, 'python', 'kafka_python_clients.py')

function kafkaPythonMissing(): string | null {
  try {
    execFileSync(PYTHON, ['-c', 'import kafka'], { stdio: 'ignore' })
    return null
  } catch {
    return `${PYTHON} cannot import kafka (python3-kafka)`
  }
}

const missing = kafkaPythonMissing()

describe.skipIf(missing !== null)(`interop/kafka-python${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  let admin: RawClient

  async function createTopic(name: string): Promise<void> {
    await clients.createTopic(name, { replicationFactor: 1, configs: [{ name: 'min.insync.replicas', value: '1' }] })
    await until(`a leader of ${name}`, () => (cluster.runtime.image.topicsByName.get(name)?.partitions[0]?.leader ?? -1) >= 0 || undefined)
  }

  /** Runs the script; the records it read, as [offset, key, value]. */
  const kafkaPython = (...args: string[]) => programRecords(`kafka-python ${args.join(' ')}`, PYTHON, [SCRIPT, cluster.bootstrap, ...args], 90_000)

  const expected = (n: number, api: string): [number, string, string][] => Array.from({ length: n }, (_, i) => [i, `k${i}`, `kafka-python ${api} ${i}`])

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 1 })
    admin = await clients.broker(1)
  }, 60_000)
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  for (const api of ['auto', '0.10.1', '0.9']) {
    it(`produces and reads back (api_version ${api})`, async () => {
      const topic = `py-${api.replaceAll('.', '-')}`
      await createTopic(topic)
      expect(await kafkaPython(topic, '10', api)).toEqual(expected(10, api))
    })
  }

  it('a consumer group reads and commits', async () => {
    const topic = 'py-group'
    await createTopic(topic)
    expect(await kafkaPython(topic, '10', 'auto', 'py-group')).toEqual(expected(10, 'auto'))
    const res = await admin.request(ApiKey.OffsetFetch, 1, { groupId: 'py-group', topics: [{ name: topic, partitionIndexes: [0] }] })
    expect([res.topics[0].partitions[0].errorCode, Number(res.topics[0].partitions[0].committedOffset)]).toEqual([ErrorCode.NONE, 10])
  })
})
