/**
 * Config fidelity through the wire: every topic config Kafka 3.9 knows is accepted, validated and
 * described with Kafka's sources and synonym chains; broker resources answer as Kafka's do.
 */
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ConfigSource } from '../../src/protocol/messages/32-describe-configs.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import type { RawClient } from '../support/raw-client.js'
import { brokerClients } from '../support/broker-clients.js'
import { KAFKAJS_UNDER_LOAD } from '../helpers/index.js'

const { Kafka, logLevel } = kafkajs

/** LogConfig's names in Kafka 3.9, written out here so that a name dropped from sluice's list fails. */
const KAFKA_TOPIC_CONFIGS = [
  'cleanup.policy', 'compression.gzip.level', 'compression.lz4.level', 'compression.type', 'compression.zstd.level',
  'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas',
  'index.interval.bytes', 'leader.replication.throttled.replicas', 'local.retention.bytes', 'local.retention.ms',
  'max.compaction.lag.ms', 'max.message.bytes', 'message.downconversion.enable', 'message.format.version',
  'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.difference.max.ms',
  'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
  'remote.log.copy.disable', 'remote.log.delete.on.disable', 'remote.storage.enable', 'retention.bytes', 'retention.ms',
  'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms', 'unclean.leader.election.enable',
]

const S = ConfigSource

interface Entry {
  name: string
  value: string | null
  readOnly: boolean
  configSource: number
  isSensitive: boolean
  synonyms: { name: string; value: string | null; source: number }[]
  configType: number
  documentation: string | null
}

describe('broker/configs', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  let admin: RawClient

  const createTopic = (name: string, configs: { name: string; value: string }[] = []) => clients.tryCreateTopic(name, { configs })
  async function describeConfigs(resourceType: number, resourceName: string, keys: string[] | null = null) {
    const res = await admin.request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType, resourceName, configurationKeys: keys }],
      includeSynonyms: true,
      includeDocumentation: true,
    })
    const r = res.results[0]
    return { errorCode: r.errorCode as number, errorMessage: r.errorMessage as string | null, configs: new Map((r.configs as Entry[]).map((c) => [c.name, c])) }
  }
  async function incrementalAlter(resourceType: number, resourceName: string, configs: { name: string; configOperation: number; value: string | null }[]) {
    const res = await admin.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType, resourceName, configs }], validateOnly: false })
    return res.responses[0] as { errorCode: number; errorMessage: string | null }
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    admin = await clients.broker(1)
  })
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it("accepts every topic config of Kafka 3.9 and describes each with Kafka's type", async () => {
    const values: Record<string, string> = { 'cleanup.policy': 'compact,delete', 'compression.gzip.level': '9', 'compression.lz4.level': '5', 'compression.zstd.level': '-5', 'min.cleanable.dirty.ratio': '0.25', 'leader.replication.throttled.replicas': '0:1,0:2', 'follower.replication.throttled.replicas': '*', 'message.timestamp.type': 'LogAppendTime', 'local.retention.ms': '-2', 'message.format.version': '3.0-IV1' }
    const configs = KAFKA_TOPIC_CONFIGS.map((name) => ({ name, value: values[name] ?? (name.endsWith('.enable') || name === 'preallocate' || name.endsWith('.disable') ? 'false' : name === 'compression.type' ? 'gzip' : '1000') }))
    const created = await createTopic('all-configs', configs)
    expect(created.errorMessage).toBeNull()
    const described = await describeConfigs(2, 'all-configs')
    expect([...described.configs.keys()].sort()).toEqual(KAFKA_TOPIC_CONFIGS)
    for (const c of configs) {
      expect(described.configs.get(c.name)).toMatchObject({ value: c.value, configSource: S.DYNAMIC_TOPIC_CONFIG, readOnly: false, isSensitive: false })
      expect(described.configs.get(c.name)!.documentation).toBeTruthy()
    }
    expect(described.configs.get('min.cleanable.dirty.ratio')!.configType).toBe(6) // DOUBLE
    expect(described.configs.get('cleanup.policy')!.configType).toBe(7) // LIST
    expect(described.configs.get('segment.bytes')!.configType).toBe(3) // INT
    expect(described.configs.get('retention.ms')!.configType).toBe(5) // LONG
  })

  it("refuses values outside Kafka's validators with INVALID_CONFIG", async () => {
    for (const [name, value] of [
      ['compression.gzip.level', '10'],
      ['compression.zstd.level', '23'],
      ['min.cleanable.dirty.ratio', '1.5'],
      ['cleanup.policy', 'delete,forever'],
      ['message.timestamp.type', 'Now'],
      ['local.retention.ms', '-3'],
      ['segment.bytes', '13'],
      ['leader.replication.throttled.replicas', '0-1'],
      ['preallocate', 'yes'],
      ['segment.index.bytes', '2147483648'],
    ]) {
      const created = await createTopic(`bad-${name}`, [{ name, value }])
      expect({ name, code: created.errorCode }).toEqual({ name, code: ErrorCode.INVALID_CONFIG })
      expect(created.errorMessage).toContain(`Invalid value ${value} for configuration ${name}`)
    }
    expect((await createTopic('gzip-default', [{ name: 'compression.gzip.level', value: '-1' }])).errorCode).toBe(ErrorCode.NONE)
  })

  it("answers a topic config's synonyms in Kafka's order: topic, dynamic, static (sluice's defaults), Kafka's default", async () => {
    expect((await createTopic('chained', [{ name: 'retention.ms', value: '1234' }])).errorCode).toBe(ErrorCode.NONE)
    let d = await describeConfigs(2, 'chained')
    // Nothing set at the broker level: log.retention.ms has no default, so Kafka lists no synonym.
    expect(d.configs.get('retention.ms')).toMatchObject({ value: '1234', configSource: S.DYNAMIC_TOPIC_CONFIG, synonyms: [{ name: 'retention.ms', value: '1234', source: S.DYNAMIC_TOPIC_CONFIG }] })
    expect(d.configs.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: S.DEFAULT_CONFIG, synonyms: [{ name: 'log.cleanup.policy', value: 'delete', source: S.DEFAULT_CONFIG }] })
    expect(d.configs.get('min.insync.replicas')).toMatchObject({
      value: '2',
      configSource: S.STATIC_BROKER_CONFIG,
      synonyms: [
        { name: 'min.insync.replicas', value: '2', source: S.STATIC_BROKER_CONFIG },
        { name: 'min.insync.replicas', value: '1', source: S.DEFAULT_CONFIG },
      ],
    })
    expect(d.configs.get('remote.storage.enable')).toMatchObject({ value: 'false', configSource: S.DEFAULT_CONFIG, synonyms: [] })

    // A cluster-wide log.retention.minutes: the topic default follows it, converted to milliseconds.
    expect((await incrementalAlter(4, '', [{ name: 'log.retention.minutes', configOperation: 0, value: '10' }])).errorCode).toBe(ErrorCode.NONE)
    expect((await createTopic('by-minutes')).errorCode).toBe(ErrorCode.NONE)
    d = await describeConfigs(2, 'by-minutes', ['retention.ms'])
    expect([...d.configs.keys()]).toEqual(['retention.ms'])
    // log.retention.ms is the primary synonym and unset: Kafka drops the chain before it.
    expect(d.configs.get('retention.ms')).toMatchObject({ value: '600000', configSource: S.DEFAULT_CONFIG, synonyms: [] })
    expect((await incrementalAlter(4, '', [{ name: 'log.retention.ms', configOperation: 0, value: '5000' }])).errorCode).toBe(ErrorCode.NONE)
    d = await describeConfigs(2, 'by-minutes', ['retention.ms'])
    expect(d.configs.get('retention.ms')).toMatchObject({
      value: '5000',
      configSource: S.DYNAMIC_DEFAULT_BROKER_CONFIG,
      synonyms: [
        { name: 'log.retention.ms', value: '5000', source: S.DYNAMIC_DEFAULT_BROKER_CONFIG },
        { name: 'log.retention.minutes', value: '10', source: S.DYNAMIC_DEFAULT_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '168', source: S.DEFAULT_CONFIG },
      ],
    })
    // Describing log.retention.hours of a broker starts its chain at its own name.
    const broker = await describeConfigs(4, '1', ['log.retention.hours', 'log.retention.ms'])
    expect(broker.configs.get('log.retention.hours')).toMatchObject({ value: '168', configSource: S.DEFAULT_CONFIG, synonyms: [{ name: 'log.retention.hours', value: '168', source: S.DEFAULT_CONFIG }] })
    expect(broker.configs.get('log.retention.ms')!.synonyms.map((s) => s.name)).toEqual(['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'])
    for (const name of ['log.retention.ms', 'log.retention.minutes']) {
      expect((await incrementalAlter(4, '', [{ name, configOperation: 1, value: null }])).errorCode).toBe(ErrorCode.NONE)
    }
  })

  it('answers broker resources as Kafka does: one broker every config, "" only the dynamic ones', async () => {
    const one = await describeConfigs(4, '2')
    expect(one.errorCode).toBe(ErrorCode.NONE)
    expect(one.configs.get('log.dir')).toMatchObject({ value: '/tmp/kafka-logs', readOnly: true, configSource: S.DEFAULT_CONFIG })
    expect(one.configs.get('num.partitions')).toMatchObject({ value: '3', readOnly: false, configSource: S.STATIC_BROKER_CONFIG })
    expect(one.configs.get('log.retention.ms')).toMatchObject({ value: null, configSource: S.DEFAULT_CONFIG, synonyms: [] })
    expect(one.configs.get('offsets.topic.replication.factor')!.configType).toBe(4) // SHORT
    // Kafka 3.9's whole KafkaConfig list, passwords sensitive (never shown), read-only as Kafka has them.
    expect(one.configs.size).toBeGreaterThan(300)
    expect(one.configs.get('ssl.keystore.password')).toMatchObject({ value: null, isSensitive: true, configType: 9, readOnly: true })
    expect(one.configs.get('listeners')).toMatchObject({ value: 'PLAINTEXT://:9092', readOnly: false })
    expect(one.configs.get('zookeeper.connect')).toMatchObject({ value: null, readOnly: true })
    expect((await incrementalAlter(4, '1', [{ name: 'log.cleaner.threads', configOperation: 0, value: '2' }])).errorCode).toBe(ErrorCode.NONE)
    // Kafka's validators hold for the configs sluice only accepts, too.
    expect(await incrementalAlter(4, '', [{ name: 'remote.fetch.max.wait.ms', configOperation: 0, value: '0' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Invalid value 0 for configuration remote.fetch.max.wait.ms: Value must be at least 1',
    })
    const cluster = await describeConfigs(4, '')
    expect([...cluster.configs.keys()]).toEqual(['log.cleaner.threads'])
    expect(cluster.configs.get('log.cleaner.threads')).toMatchObject({ value: '2', configSource: S.DYNAMIC_DEFAULT_BROKER_CONFIG, synonyms: [{ name: 'log.cleaner.threads', value: '2', source: S.DYNAMIC_DEFAULT_BROKER_CONFIG }] })
    expect((await describeConfigs(4, '9')).errorCode).toBe(ErrorCode.INVALID_REQUEST)
    expect((await describeConfigs(4, 'one')).errorMessage).toBe('Broker id must be an integer, but it is: one')
  })

  it('refuses to alter a read-only broker config with INVALID_REQUEST and Kafka\'s message', async () => {
    const res = await admin.request(ApiKey.AlterConfigs, 2, {
      resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.dir', value: '/elsewhere' }] }],
      validateOnly: false,
    })
    expect(res.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Cannot update these configs dynamically: Set(log.dir)' })
    const inc = await incrementalAlter(4, '', [{ name: 'broker.rack', configOperation: 0, value: 'r1' }])
    expect(inc).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Cannot update these configs dynamically: Set(broker.rack)' })
  })

  it('IncrementalAlterConfigs APPEND and SUBTRACT lists as Kafka does, and validate_only changes nothing', async () => {
    expect((await createTopic('listed')).errorCode).toBe(ErrorCode.NONE)
    const policy = async () => (await describeConfigs(2, 'listed', ['cleanup.policy'])).configs.get('cleanup.policy')!
    // From the default ("delete"); an item already there is not added twice.
    expect(await incrementalAlter(2, 'listed', [{ name: 'cleanup.policy', configOperation: 2, value: 'compact,delete' }])).toMatchObject({ errorCode: ErrorCode.NONE })
    expect(await policy()).toMatchObject({ value: 'delete,compact', configSource: S.DYNAMIC_TOPIC_CONFIG })
    expect((await incrementalAlter(2, 'listed', [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).errorCode).toBe(ErrorCode.NONE)
    expect((await policy()).value).toBe('compact')
    // Subtracting what is not there changes nothing.
    expect((await incrementalAlter(2, 'listed', [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).errorCode).toBe(ErrorCode.NONE)
    expect((await policy()).value).toBe('compact')
    // The result is validated like a SET.
    expect(await incrementalAlter(2, 'listed', [{ name: 'cleanup.policy', configOperation: 2, value: 'forever' }])).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG })
    expect(await incrementalAlter(2, 'listed', [{ name: 'retention.ms', configOperation: 2, value: '5' }])).toEqual({
      errorCode: ErrorCode.INVALID_CONFIG, errorMessage: "Can't APPEND to key retention.ms because its type is not LIST.", resourceType: 2, resourceName: 'listed',
    })
    expect(await incrementalAlter(4, '', [{ name: 'num.io.threads', configOperation: 3, value: '5' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Config value subtract is not allowed for config key: num.io.threads',
    })
    expect(await incrementalAlter(2, 'listed', [{ name: 'cleanup.policy', configOperation: 2, value: null }])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Null value not supported for : cleanup.policy',
    })
    expect(await incrementalAlter(2, 'listed', [{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }, { name: 'cleanup.policy', configOperation: 3, value: 'delete' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys',
    })
    expect(await incrementalAlter(2, 'listed', [{ name: 'cleanup.policy', configOperation: 7, value: 'delete' }])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST })
    // A broker list config, through validate_only first: answered, not applied.
    const throttled = { resourceType: 2, resourceName: 'listed', configs: [{ name: 'leader.replication.throttled.replicas', configOperation: 2, value: '0:1' }] }
    const dry = await admin.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [throttled], validateOnly: true })
    expect(dry.responses[0].errorCode).toBe(ErrorCode.NONE)
    expect((await describeConfigs(2, 'listed', ['leader.replication.throttled.replicas'])).configs.get('leader.replication.throttled.replicas')!.value).toBe('')
    const twice = await admin.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [throttled, throttled], validateOnly: false })
    expect(twice.responses.map((r: { errorMessage: string }) => r.errorMessage)).toEqual(['Each resource must appear at most once.', 'Each resource must appear at most once.'])
    expect((await incrementalAlter(2, 'listed', throttled.configs)).errorCode).toBe(ErrorCode.NONE)
    expect((await incrementalAlter(2, 'listed', [{ name: 'leader.replication.throttled.replicas', configOperation: 2, value: '0:2,0:1' }])).errorCode).toBe(ErrorCode.NONE)
    expect((await describeConfigs(2, 'listed', ['leader.replication.throttled.replicas'])).configs.get('leader.replication.throttled.replicas')!.value).toBe('0:1,0:2')
  })

  it('kafkajs admin describes and alters configs with their sources and synonyms', async () => {
    const kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'configs', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING })
    const kadmin = kafka.admin()
    await kadmin.connect()
    try {
      await kadmin.createTopics({ topics: [{ topic: 'kjs-configs', numPartitions: 1, configEntries: [{ name: 'segment.ms', value: '3600000' }] }] })
      await kadmin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'kjs-configs', configEntries: [{ name: 'preallocate', value: 'true' }, { name: 'segment.ms', value: '7200000' }] }] })
      const described = await kadmin.describeConfigs({ resources: [{ type: 2, name: 'kjs-configs' }], includeSynonyms: true })
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]))
      expect(entries.size).toBe(KAFKA_TOPIC_CONFIGS.length)
      expect(entries.get('preallocate')).toMatchObject({ configValue: 'true', configSource: S.DYNAMIC_TOPIC_CONFIG })
      expect(entries.get('segment.ms')).toMatchObject({ configValue: '7200000', configSource: S.DYNAMIC_TOPIC_CONFIG })
      expect(entries.get('segment.ms')!.configSynonyms).toEqual([{ configName: 'segment.ms', configValue: '7200000', configSource: S.DYNAMIC_TOPIC_CONFIG }])
      expect(entries.get('min.insync.replicas')!.configSynonyms.map((s) => s.configSource)).toEqual([S.STATIC_BROKER_CONFIG, S.DEFAULT_CONFIG])
      const broker = await kadmin.describeConfigs({ resources: [{ type: 4, name: '1', configNames: ['num.partitions', 'log.dirs'] }], includeSynonyms: false })
      expect(broker.resources[0]!.configEntries.map((e) => [e.configName, e.configValue, e.readOnly])).toEqual([['num.partitions', '3', false], ['log.dirs', null, true]])
    } finally {
      await kadmin.disconnect()
    }
  })
})
