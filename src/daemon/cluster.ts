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
import { realScheduler, type ClusterView } from '../broker/cluster-view.js'
import { KafkaListener } from '../broker/listener.js'
import { partitionKey } from '../broker/replica-manager.js'
import { brokerConfig } from '../cluster/configs.js'
import { Controller } from '../cluster/controller.js'
import { describeRecord, type ClusterEvent } from '../cluster/events.js'
import { FailoverTracker, type FailoverMeasured } from '../cluster/failover-tracker.js'
import { MetadataImage, type MetadataRecord } from '../cluster/metadata.js'
import { seededRng } from '../cluster/rng.js'
import { LevelLogStore } from '../storage/leveldb.js'
import { SluiceError } from '../common/errors.js'
import type { ClusterStatus, Fault, FaultSpec, PartitionSnapshot, StuckReplica } from '../common/control-contract.js'
import { describeFault } from '../common/fault-text.js'
import { ControllerDriver, IsrChangeBatcher } from './controller-driver.js'
import { FaultInjector } from './faults.js'
import { DirectLink } from './links.js'
import { LogDirHealth, openLevelStore, openUnlessDiskFull } from './log-dirs.js'
import { MetadataLog } from './metadata-log.js'
import { mergeByTime, RuntimeEvents } from './runtime-events.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Logger } from '../common/logger.js'

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
  /** Called with the events of every metadata commit (the `cluster events` stream). */
  onEvents?: (events: ClusterEvent[]) => void
  /** How often retention runs; the broker config log.retention.check.interval.ms otherwise. */
  retentionCheckIntervalMs?: number
  /** Read every log once in the background after it opens, looking for corrupt batches (default true). */
  scrubOnOpen?: boolean
}

export interface ClusterRuntime {
  readonly bootstrap: string
  status(): ClusterStatus
  /** A crash (`clean: false`: the controller notices at session timeout) or a controlled shutdown. */
  killBroker(id: number, opts?: { clean?: boolean }): Promise<void>
  startBroker(id: number): Promise<void>
  pauseBroker(id: number): void
  resumeBroker(id: number): void
  /** Moves leadership of a partition to another ISR member; returns the new leader. */
  failover(topic: string, partition: number, to?: number): Promise<{ from: number; to: number; leaderEpoch: number }>
  /** Preferred-leader election (all partitions, or one topic's); returns how many moved. */
  electPreferredLeaders(topic?: string): Promise<number>
  /** Faults at the edges: links between brokers and the brokers' listeners. */
  readonly faults: FaultInjector
  /** Adds a fault (told as a fault.added event). */
  addFault(spec: FaultSpec, seed?: number): Fault
  /** Removes one fault or all (told as a fault.cleared event); returns how many. */
  clearFaults(id?: number): number
  /** The metadata log told as events, with the runtime events merged in by time, oldest first. */
  events(): Promise<ClusterEvent[]>
  /** Every partition with its replicas' offsets. */
  partitions(): PartitionSnapshot[]
  /** Followers stuck truncating and refetching the same records. */
  stuckReplicas(): StuckReplica[]
  /** The last failover measured since the daemon started. */
  readonly lastFailover: FailoverMeasured | null
  /** The metadata image (read-only use: status views). */
  readonly image: MetadataImage
  close(): Promise<void>
}

const RETENTION_TICK_MS = 100
const CONTROLLER_TICK_MS = 200
const HWM_CHECKPOINT_INTERVAL_MS = 5_000
/** The longest topic creation waits for its replicas when the request gives no timeout. */
const CREATE_SETTLE_MAX_MS = 10_000
/** Elections logged one by one in a commit; the rest are counted in one line. */
const ELECTIONS_LOGGED_PER_COMMIT = 10

async function clusterId(metadataLog: MetadataLog): Promise<string> {
  const existing = await metadataLog.get('clusterId')
  if (existing) return existing
  // Kafka cluster ids are 22 characters of URL-safe base64 (a UUID).
  const id = randomBytes(16).toString('base64url')
  await metadataLog.put('clusterId', id)
  return id
}

function check(result: { errorCode: number; errorMessage: string | null }, code = 'KAFKA_ERROR'): void {
  if (result.errorCode !== ErrorCode.NONE) throw new SluiceError(code, result.errorMessage ?? `controller error ${result.errorCode}`)
}

export async function startCluster(opts: ClusterOptions): Promise<ClusterRuntime> {
  const { log } = opts
  fs.mkdirSync(path.join(opts.home, 'brokers'), { recursive: true, mode: 0o700 })
  const metadataLog = new MetadataLog(path.join(opts.home, 'metadata'))
  const stored = await metadataLog.open()
  const image = new MetadataImage()
  const controller = new Controller(image, seededRng(randomBytes(4).readUInt32LE(0)))
  controller.commit(stored.map((s) => s.record))
  const id = await clusterId(metadataLog)

  const brokers = new Map<number, Broker>()
  const listeners = new Map<number, KafkaListener>()

  // Runtime events (kills, pauses, faults, failover measures): published like the metadata
  // log's events, and the last RUNTIME_EVENTS_MAX kept for the history.
  const runtime = new RuntimeEvents((e) => opts.onEvents?.([e]))
  const runtimeEvent = runtime.publish.bind(runtime)
  let lastFailover: FailoverMeasured | null = null
  let clusterReady = false
  const failovers = new FailoverTracker({
    emit: (m) => {
      lastFailover = m
      log.info('failover measured', { ...m })
      runtimeEvent('failover.measured', { ...m }, m.message)
    },
  })
  /** The partitions a broker leads now, by topic name. */
  const ledBy = (brokerId: number): { topic: string; partition: number }[] => {
    const out = []
    for (const t of image.topicsById.values()) for (const p of t.partitions) if (p.leader === brokerId) out.push({ topic: t.name, partition: p.partition })
    return out
  }

  const onCommitted = (records: MetadataRecord[], events: ClusterEvent[]): void => {
    // One line per election, up to a few per commit: a broker returning to 10,000 partitions
    // elects thousands at once, and a line each would be most of the log (and of the work).
    let elections = 0
    for (const record of records) {
      if (record.type === 'removeTopic') {
        // The image no longer has the topic: drop its logs wherever they are.
        for (const broker of brokers.values()) {
          void broker.dropTopicLogs(record.topicId).catch((error: unknown) => {
            log.error('dropping a deleted topic failed', { broker: broker.id, topicId: record.topicId, error: String(error) })
          })
        }
      }
      if (record.type === 'partitionChange' && record.leader !== undefined && ++elections <= ELECTIONS_LOGGED_PER_COMMIT) {
        const topic = image.topicsById.get(record.topicId)
        log.info(record.unclean ? 'UNCLEAN leader election' : 'leader elected', {
          topic: topic?.name,
          partition: record.partition,
          leader: record.leader,
          epoch: topic?.partitions[record.partition]?.leaderEpoch,
          reason: record.reason,
        })
      }
      if (record.type === 'fenceBroker') log.info('broker fenced', { broker: record.brokerId })
    }
    if (elections > ELECTIONS_LOGGED_PER_COMMIT) log.info('more leaders elected', { elections: elections - ELECTIONS_LOGGED_PER_COMMIT })
    for (const broker of brokers.values()) broker.onMetadata(records)
    opts.onEvents?.(events)
    // After the records' own events: a failover measure told at the election comes after it.
    // Not while the brokers start: the elections of a restart are no failover anyone lived through.
    const nowMs = Date.now()
    for (const e of clusterReady ? events : []) {
      if (e.type === 'leader.changed') {
        failovers.leaderChanged(e.topic as string, e.partition as number, e.from as number, e.to as number, e.leaderEpoch as number, nowMs)
      }
    }
  }
  const driver = new ControllerDriver(controller, metadataLog, onCommitted)
  const isrChanges = new IsrChangeBatcher(driver)

  /**
   * The controller id that Metadata and DescribeCluster give: as KRaft brokers do (they forward
   * admin requests to the controller quorum, which clients cannot reach), a live broker: the
   * lowest id that is running, answering and unfenced; -1 when none is. Clients that send
   * CreateTopics to "the controller" (kafkajs) then keep working when broker 1 is down.
   */
  const liveControllerId = (): number => {
    for (const b of [...brokers.values()].sort((x, y) => x.id - y.id)) {
      if (b.running && b.state !== 'paused' && image.brokers.get(b.id)?.fenced === false) return b.id
    }
    return -1
  }

  const view: ClusterView = {
    clusterId: id,
    get controllerId() {
      return liveControllerId()
    },
    image,
    createTopic: async (req, validateOnly, settleTimeoutMs = CREATE_SETTLE_MAX_MS) => {
      const result = await driver.submit(() => controller.createTopic(req), validateOnly)
      // Answer once the replicas have taken their roles, so the topic is usable at once; but no
      // later than the request's timeout: the topic exists, and a client that gives up on a
      // CreateTopics of 10,000 partitions would report a failure for a topic that was created.
      if (result.errorCode === ErrorCode.NONE && !validateOnly) {
        const topic = image.topicsByName.get(req.name)
        const settling: Promise<void>[] = []
        for (const p of topic?.partitions ?? []) {
          for (const id of p.replicas) {
            const b = brokers.get(id)
            if (b?.running) settling.push(b.replicas.settled(p))
          }
        }
        let timer: NodeJS.Timeout | undefined
        const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, settleTimeoutMs))))
        await Promise.race([Promise.all(settling), timedOut])
        clearTimeout(timer)
      }
      return result
    },
    deleteTopic: (by) => driver.submit(() => controller.deleteTopic(by)),
    alterConfigs: (type, name, changes, replace, validateOnly) =>
      driver.submit(() => controller.alterConfigs(type, name, changes, replace), validateOnly),
    alterIsr: (req) => isrChanges.submit(req),
    replicaCorrupt: (req) => driver.submit(() => controller.replicaCorrupt(req)),
    allocateProducerId: () => driver.submit(() => controller.allocateProducerId()),
  }

  const faults = new FaultInjector(Array.from({ length: opts.brokers }, (_, i) => i + 1))
  const link = new DirectLink(brokers, faults)
  const scheduler = realScheduler
  const startBroker = async (broker: Broker): Promise<void> => {
    await broker.start()
    const listener = listeners.get(broker.id)!
    await listener.listen()
  }
  const brokerDir = (brokerId: number): string => path.join(opts.home, 'brokers', String(brokerId))
  const logDirs = new LogDirHealth({
    log,
    dirOf: brokerDir,
    fence: async (brokerId, reason) => check(await driver.submit(() => controller.fenceBroker(brokerId, reason))),
    openStore: (brokerId) => openLevelStore(brokerDir(brokerId)),
    restart: (broker) => broker.start(),
    event: runtimeEvent,
  })
  try {
    for (let i = 0; i < opts.brokers; i++) {
      const brokerId = i + 1
      const store = new LevelLogStore(brokerDir(brokerId))
      // A disk already full: the broker starts with its log dir offline (and comes back with room).
      const openFailure = await openUnlessDiskFull(store)
      const broker = new Broker({
        id: brokerId,
        host: opts.host,
        port: opts.port + i,
        store,
        cluster: view,
        scheduler,
        log,
        link,
        register: async (b) => {
          check(await driver.submit(() => controller.registerBroker(b.id, b.host, b.port, Date.now())))
        },
        heartbeat: (b) => controller.heartbeat(b.id, Date.now()),
        onProduced: (topic, partition) => failovers.produced(topic, partition, Date.now()),
        scrubOnOpen: opts.scrubOnOpen ?? true,
      })
      brokers.set(brokerId, broker)
      listeners.set(brokerId, new KafkaListener(broker, faults))
      if (openFailure) logDirs.startOffline(broker, store, openFailure)
      else logDirs.watch(broker, store)
    }
    for (const broker of brokers.values()) {
      if (broker.logDirOffline) await listeners.get(broker.id)!.listen()
      else await startBroker(broker)
    }
  } catch (error) {
    await logDirs.close()
    await Promise.allSettled([...listeners.values()].map((l) => l.close()))
    await Promise.allSettled([...brokers.values()].map((b) => b.close()))
    await metadataLog.close().catch(() => undefined)
    throw error
  }
  clusterReady = true
  log.info('cluster ready', { brokers: opts.brokers, bootstrap: `${opts.host}:${opts.port}`, clusterId: id })

  // The controller's clock: session timeouts (fencing) and preferred-leader elections.
  let ticking = false
  const controllerTimer = setInterval(() => {
    if (ticking) return
    ticking = true
    driver
      .submit(() => controller.tick(Date.now()))
      .catch((error: unknown) => log.error('controller tick failed', { error: String(error) }))
      .finally(() => (ticking = false))
    failovers.tick(Date.now())
  }, CONTROLLER_TICK_MS)
  controllerTimer.unref()

  // Retention runs every log.retention.check.interval.ms (a broker config that can be altered
  // at run time); the ticker only looks at the clock, so a changed interval applies at once.
  let retentionRunning = false
  let lastRetentionMs = Date.now()
  const retentionTimer = setInterval(() => {
    const everyMs = opts.retentionCheckIntervalMs ?? Number(brokerConfig(image.brokerConfigs, 'log.retention.check.interval.ms'))
    if (retentionRunning || Date.now() - lastRetentionMs < everyMs) return
    retentionRunning = true
    lastRetentionMs = Date.now()
    Promise.all([...brokers.values()].map((b) => b.runRetention()))
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
    for (const b of brokers.values()) {
      if (b.logDirOffline) continue // its store failed: nothing to checkpoint until it is back
      b.store.checkpoint().catch((error: unknown) => log.error('checkpoint failed', { broker: b.id, error: String(error) }))
    }
  }, HWM_CHECKPOINT_INTERVAL_MS)
  checkpointTimer.unref()

  /** ", leader of orders-0, orders-2" for a broker's event message (up to 5 partitions named). */
  const ledSummary = (brokerId: number): string => {
    const led = ledBy(brokerId).map((p) => `${p.topic}-${p.partition}`)
    if (led.length === 0) return ''
    return `, leader of ${led.slice(0, 5).join(', ')}${led.length > 5 ? ` and ${led.length - 5} more` : ''}`
  }
  const resume = (broker: Broker): void => {
    if (broker.state !== 'paused') return
    broker.resume()
    for (const p of ledBy(broker.id)) failovers.leaderBack(p.topic, p.partition, broker.id)
    log.info('broker resumed', { broker: broker.id })
    runtimeEvent('broker.resumed', { broker: broker.id }, `broker ${broker.id} resumed`)
  }

  const brokerById = (brokerId: number): Broker => {
    const broker = brokers.get(brokerId)
    if (!broker) throw new SluiceError('NOT_FOUND', `no broker ${brokerId} (brokers are 1-${brokers.size})`)
    return broker
  }

  return {
    bootstrap: `${opts.host}:${opts.port}`,
    status: () => ({
      brokers: [...brokers.values()].map((b) => ({
        id: b.id,
        host: b.host,
        port: b.port,
        state: b.logDirOffline ? 'offline' : !b.running ? 'killed' : b.state === 'paused' ? 'paused' : image.brokers.get(b.id)?.fenced ? 'fenced' : 'up',
        logDirError: b.logDirOffline?.reason ?? null,
        connections: listeners.get(b.id)!.connections,
        requests: listeners.get(b.id)!.requests,
      })),
      controllerId: liveControllerId(),
      topics: image.topicsById.size,
      partitions: [...image.topicsById.values()].reduce((n, t) => n + t.partitions.length, 0),
      recoveries: [...brokers.values()]
        .flatMap((b) => b.recoveries.list())
        .sort((a, b) => a.foundAtMs - b.foundAtMs)
        .map((r) => ({
          broker: r.brokerId,
          topic: image.topicsById.get(r.topicId)?.name ?? r.topicId,
          partition: r.partition,
          firstOffset: r.firstOffset,
          lastOffset: r.lastOffset,
          reason: r.reason,
          state: r.state,
          foundAt: new Date(r.foundAtMs).toISOString(),
          truncatedTo: r.truncatedTo,
          recoveredAt: r.recoveredAtMs === null ? null : new Date(r.recoveredAtMs).toISOString(),
        })),
    }),
    killBroker: async (brokerId, killOpts = {}) => {
      const broker = brokerById(brokerId)
      if (!broker.running) return
      if (killOpts.clean) check(await driver.submit(() => controller.controlledShutdown(brokerId)))
      // A clean shutdown moved its leaders first; a crash leaves them leaderless until fenced.
      const nowMs = Date.now()
      for (const p of ledBy(brokerId)) failovers.leaderLost(p.topic, p.partition, brokerId, nowMs)
      await listeners.get(brokerId)!.close()
      broker.crash()
      log.info(killOpts.clean ? 'broker shut down' : 'broker killed', { broker: brokerId })
      const led = killOpts.clean ? '' : ledSummary(brokerId)
      runtimeEvent('broker.killed', { broker: brokerId, clean: killOpts.clean === true }, killOpts.clean ? `broker ${brokerId} shut down (controlled)` : `broker ${brokerId} killed${led}`)
    },
    startBroker: async (brokerId) => {
      const broker = brokerById(brokerId)
      if (broker.running) {
        if (broker.state === 'paused') resume(broker)
        return
      }
      if (broker.logDirOffline) {
        throw new SluiceError('CONFLICT', `broker ${brokerId}'s log dir is offline (${broker.logDirOffline.reason}); it starts by itself once writes work again`)
      }
      await startBroker(broker)
      for (const p of ledBy(brokerId)) failovers.leaderBack(p.topic, p.partition, brokerId)
      log.info('broker started', { broker: brokerId })
      runtimeEvent('broker.started', { broker: brokerId }, `broker ${brokerId} started`)
    },
    pauseBroker: (brokerId) => {
      const broker = brokerById(brokerId)
      if (!broker.running || broker.state === 'paused') {
        broker.pause()
        return
      }
      broker.pause()
      const nowMs = Date.now()
      for (const p of ledBy(brokerId)) failovers.leaderLost(p.topic, p.partition, brokerId, nowMs)
      log.info('broker paused', { broker: brokerId })
      runtimeEvent('broker.paused', { broker: brokerId }, `broker ${brokerId} paused (hung: connections open, nothing answered)${ledSummary(brokerId)}`)
    },
    resumeBroker: (brokerId) => resume(brokerById(brokerId)),
    failover: async (topic, partition, to) => {
      const before = image.partition(topic, partition)
      const from = before?.leader ?? -1
      check(await driver.submit(() => controller.failover(topic, partition, to)), 'FAILOVER_REFUSED')
      const after = image.partition(topic, partition)!
      return { from, to: after.leader, leaderEpoch: after.leaderEpoch }
    },
    electPreferredLeaders: async (topic) => {
      const result = await driver.submit(() =>
        controller.electPreferredLeaders(topic === undefined ? undefined : (p) => image.topicsById.get(p.topicId)?.name === topic),
      )
      return result.records.length
    },
    image,
    faults,
    addFault: (spec, seed) => {
      const fault = faults.add(spec, seed)
      runtimeEvent('fault.added', { fault }, `fault ${fault.id} added: ${describeFault(fault)}`)
      return fault
    },
    clearFaults: (faultId) => {
      const ids = faultId === undefined ? faults.list().map((f) => f.id) : [faultId]
      const n = faults.clear(faultId)
      if (n > 0) runtimeEvent('fault.cleared', { ids }, ids.length === 1 ? `fault ${ids[0]} cleared` : `faults ${ids.join(', ')} cleared`)
      return n
    },
    get lastFailover() {
      return lastFailover
    },
    partitions: () => {
      const out: PartitionSnapshot[] = []
      const logOf = (brokerId: number, key: string) => {
        const b = brokers.get(brokerId)
        return b?.running ? (b.replicas.get(key) ?? null) : null
      }
      for (const t of image.topicsById.values()) {
        for (const p of t.partitions) {
          const key = partitionKey(t.topicId, p.partition)
          const led = p.leader >= 0 ? logOf(p.leader, key) : null
          const replicaLogEndOffsets: Record<string, number | null> = {}
          for (const r of p.replicas) replicaLogEndOffsets[String(r)] = logOf(r, key)?.log?.logEndOffset ?? null
          const stuckReplicas = p.replicas.filter((r) => logOf(r, key)?.stuck)
          out.push({
            topic: t.name,
            partition: p.partition,
            internal: t.name.startsWith('__'),
            leader: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicas,
            isr: p.isr,
            logStartOffset: led?.log?.logStartOffset ?? -1,
            highWatermark: led?.leader?.highWatermark ?? led?.log?.highWatermark ?? -1,
            logEndOffset: led?.log?.logEndOffset ?? -1,
            replicaLogEndOffsets,
            stuckReplicas,
          })
        }
      }
      return out
    },
    stuckReplicas: () => {
      const out: StuckReplica[] = []
      for (const b of brokers.values()) {
        if (!b.running) continue
        for (const h of b.replicas.all()) {
          if (!h.stuck) continue
          const topic = image.topicsById.get(h.topicId)
          if (!topic) continue
          out.push({ topic: topic.name, partition: h.partition, broker: b.id, leader: h.leaderId, ...h.stuck })
        }
      }
      return out
    },
    events: async () => {
      // Replay the log into a scratch image, telling each record against the image before it.
      const scratch = new MetadataImage()
      const out: ClusterEvent[] = []
      for (const stored of await metadataLog.readAll()) {
        out.push(...describeRecord(scratch, stored.record, stored.offset, stored.timestampMs))
        scratch.apply(stored.record, stored.offset)
      }
      return mergeByTime(out, runtime.list())
    },
    close: async () => {
      clearInterval(controllerTimer)
      clearInterval(retentionTimer)
      clearInterval(checkpointTimer)
      await logDirs.close()
      await Promise.allSettled([...listeners.values()].map((l) => l.close()))
      await Promise.allSettled([...brokers.values()].map((b) => b.close()))
      await metadataLog.close()
    },
  }
}
