/**
 * Wiring of the simulated cluster inside the daemon process: the controller with its metadata log,
 * one broker per id, each with its own LevelDB store and Kafka listener, and the background
 * retention timer. This is the I/O edge: real time, real randomness (a seed drawn here and
 * handed to the deterministic controller), real files and sockets.
 *
 * The daemon lifecycle (lock, pid file, control socket, logs) calls startCluster() once and
 * close() on a graceful stop.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Broker } from '../broker/broker.js'
import type { ClusterView } from '../broker/cluster-view.js'
import { KafkaListener } from '../broker/listener.js'
import { brokerConfig } from '../cluster/configs.js'
import { Controller, type CommandResult } from '../cluster/controller.js'
import { MetadataImage, type MetadataRecord } from '../cluster/metadata.js'
import { seededRng } from '../cluster/rng.js'
import { LevelLogStore } from '../storage/leveldb.js'
import { MetadataLog } from './metadata-log.js'

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export interface ClusterOptions {
  /** The data directory ($SLUICE_HOME). Brokers keep their logs in <home>/brokers/<id>/. */
  home: string
  /** How many simulated brokers (ids 1..n). */
  brokers: number
  /** Port of broker 1; broker i listens on port + i - 1. */
  port: number
  /** Listener host, 127.0.0.1 by default. */
  host: string
  log: Logger
  /** How often retention runs; the broker config log.retention.check.interval.ms otherwise. */
  retentionCheckIntervalMs?: number
}

export interface BrokerStatus {
  id: number
  host: string
  port: number
  state: 'up' | 'fenced' | 'paused' | 'killed'
  connections: number
}

export interface ClusterStatus {
  brokers: BrokerStatus[]
  controllerId: number
  topics: number
  partitions: number
}

export interface ClusterRuntime {
  readonly bootstrap: string
  status(): ClusterStatus
  close(): Promise<void>
}

const CONTROLLER_ID = 1
const RETENTION_TICK_MS = 100
const HWM_CHECKPOINT_INTERVAL_MS = 5_000

/**
 * The controller behind a queue: commands run one at a time against the current image, their
 * records are persisted, then applied, then answered (persist before you answer).
 */
class ControllerDriver {
  private tail: Promise<unknown> = Promise.resolve()

  constructor(
    readonly controller: Controller,
    private readonly metadataLog: MetadataLog,
    private readonly onCommitted: (records: MetadataRecord[]) => void,
  ) {}

  submit<T>(command: () => CommandResult<T>, validateOnly = false): Promise<CommandResult<T>> {
    const run = async (): Promise<CommandResult<T>> => {
      const result = command()
      if (result.errorCode !== 0 || validateOnly || result.records.length === 0) return result
      await this.metadataLog.append(result.records, Date.now())
      this.controller.commit(result.records)
      this.onCommitted(result.records)
      return result
    }
    const next = this.tail.then(run, run)
    this.tail = next.catch(() => undefined)
    return next
  }
}

async function clusterId(metadataLog: MetadataLog): Promise<string> {
  const existing = await metadataLog.get('clusterId')
  if (existing) return existing
  // Kafka cluster ids are 22 characters of URL-safe base64 (a UUID).
  const id = randomBytes(16).toString('base64url')
  await metadataLog.put('clusterId', id)
  return id
}

export async function startCluster(opts: ClusterOptions): Promise<ClusterRuntime> {
  const { log } = opts
  fs.mkdirSync(path.join(opts.home, 'brokers'), { recursive: true })
  const metadataLog = new MetadataLog(path.join(opts.home, 'metadata'))
  const stored = await metadataLog.open()
  const image = new MetadataImage()
  const controller = new Controller(image, seededRng(randomBytes(4).readUInt32LE(0)))
  controller.commit(stored.map((s) => s.record))
  const id = await clusterId(metadataLog)

  const brokers: Broker[] = []
  const listeners: KafkaListener[] = []

  const onCommitted = (records: MetadataRecord[]): void => {
    for (const record of records) {
      if (record.type === 'removeTopic') {
        // The image no longer has the topic: drop its logs wherever they are.
        for (const broker of brokers) {
          void broker.dropTopicLogs(record.topicId).catch((error: unknown) => {
            log.error('dropping a deleted topic failed', { broker: broker.id, topicId: record.topicId, error: String(error) })
          })
        }
      }
    }
  }
  const driver = new ControllerDriver(controller, metadataLog, onCommitted)

  const view: ClusterView = {
    clusterId: id,
    controllerId: CONTROLLER_ID,
    image,
    createTopic: (req, validateOnly) => driver.submit(() => controller.createTopic(req), validateOnly),
    deleteTopic: (by) => driver.submit(() => controller.deleteTopic(by)),
    alterConfigs: (type, name, changes, replace, validateOnly) =>
      driver.submit(() => controller.alterConfigs(type, name, changes, replace), validateOnly),
  }

  const clock = { nowMs: () => Date.now() }
  try {
    for (let i = 0; i < opts.brokers; i++) {
      const brokerId = i + 1
      const store = new LevelLogStore(path.join(opts.home, 'brokers', String(brokerId)))
      await store.open()
      const broker = new Broker({ id: brokerId, host: opts.host, port: opts.port + i, store, cluster: view, clock, log })
      brokers.push(broker)
      listeners.push(new KafkaListener(broker))
    }
    for (const broker of brokers) await driver.submit(() => controller.registerBroker(broker.id, broker.host, broker.port))
    await Promise.all(listeners.map((l) => l.listen()))
  } catch (error) {
    await Promise.allSettled(listeners.map((l) => l.close()))
    await Promise.allSettled(brokers.map((b) => b.close()))
    await metadataLog.close().catch(() => undefined)
    throw error
  }
  log.info('cluster ready', { brokers: opts.brokers, bootstrap: `${opts.host}:${opts.port}`, clusterId: id })

  // Retention runs every log.retention.check.interval.ms (a broker config that can be altered
  // at run time); the ticker only looks at the clock, so a changed interval applies at once.
  let retentionRunning = false
  let lastRetentionMs = Date.now()
  const retentionTimer = setInterval(() => {
    const everyMs = opts.retentionCheckIntervalMs ?? Number(brokerConfig(image.brokerConfigs, 'log.retention.check.interval.ms'))
    if (retentionRunning || Date.now() - lastRetentionMs < everyMs) return
    retentionRunning = true
    lastRetentionMs = Date.now()
    Promise.all(brokers.map((b) => b.runRetention()))
      .then((deleted) => {
        const total = deleted.reduce((a, b) => a + b, 0)
        if (total > 0) log.info('retention deleted batches', { batches: total })
      })
      .catch((error: unknown) => log.error('retention failed', { error: String(error) }))
      .finally(() => (retentionRunning = false))
  }, RETENTION_TICK_MS)
  retentionTimer.unref()

  // High watermarks are checkpointed with each append; idle partitions get theirs written here,
  // as Kafka checkpoints every replica.high.watermark.checkpoint.interval.ms (5 s).
  const checkpointTimer = setInterval(() => {
    for (const b of brokers) {
      b.store.checkpoint().catch((error: unknown) => log.error('checkpoint failed', { broker: b.id, error: String(error) }))
    }
  }, HWM_CHECKPOINT_INTERVAL_MS)
  checkpointTimer.unref()

  return {
    bootstrap: `${opts.host}:${opts.port}`,
    status: () => ({
      brokers: brokers.map((b, i) => ({
        id: b.id,
        host: b.host,
        port: b.port,
        state: image.brokers.get(b.id)?.fenced ? 'fenced' : 'up',
        connections: listeners[i]!.connections,
      })),
      controllerId: CONTROLLER_ID,
      topics: image.topicsById.size,
      partitions: [...image.topicsById.values()].reduce((n, t) => n + t.partitions.length, 0),
    }),
    close: async () => {
      clearInterval(retentionTimer)
      clearInterval(checkpointTimer)
      await Promise.allSettled(listeners.map((l) => l.close()))
      await Promise.allSettled(brokers.map((b) => b.close()))
      await metadataLog.close()
    },
  }
}
