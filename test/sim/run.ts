/**
 * One seeded run of the replicated cluster: boot, `steps` random steps (an action, then virtual
 * time moves on), then heal everything, restart everyone and run until the cluster has caught up.
 * Invariants are checked after every commit, every timer, and every step; the first violation
 * ends the run with its step number. Everything random comes from the seed, so a run replays
 * exactly: `SLUICE_SIM_SEED=<n>` replays one seed with its event trace.
 */
import { seededRng, type Rng } from '../../src/cluster/rng.js'
import { drawExtras, drawWeights, EXTRA_KINDS, extraActions, randomAction, TXN_ACTIONS, type ActionWeights, type ExtraKind, type Extras } from './actions.js'
import { SimNode } from './sim-node.js'
import { Consumers } from './consumers.js'
import { Deletions } from './deletions.js'
import { Reassignments } from './reassignments.js'
import { GroupMembers } from './groups.js'
import { IdempotentProducers } from './idempotent.js'
import { Invariants } from './invariants.js'
import { auditLogs } from './log-audit.js'
import { guardRealTime } from './real-time-guard.js'
import { drainMicrotasks, yieldToEventLoop } from './scheduler.js'
import { Workload } from './workload.js'
import { TransactionalProducers } from './transactions.js'
import { TxnInvariants } from './txn-invariants.js'
import { ErrorCode } from '../../src/protocol/errors.js'

export interface SeedOptions {
  /** Collect the event trace (costs time: off for the 1,000-seed sweep). */
  trace?: boolean
  steps?: number
  /**
   * The kinds of action added after the first regression seeds were found (actions.ts), all by
   * default. Each draws from its own stream: a seed run without a kind replays as it did before it.
   */
  extras?: readonly ExtraKind[]
  /** The metadata log on a controller quorum of three voters, with voter faults (quorum.ts). */
  quorum?: boolean
  /**
   * On the quorum: each voter snapshots once the entries it committed since its last snapshot hold
   * this many bytes (metadata.log.max.record.bytes.between.snapshots). Never when absent, so a seed
   * replays as it did before snapshots.
   */
  snapshotBytes?: number
}

export interface SeedFailure {
  step: number
  timeMs: number
  message: string
}

export interface SeedResult {
  seed: number
  failure: SeedFailure | null
  trace: string[]
  config: string
  stats: Record<string, number>
}

const TOPIC = 'sim'
/** Bounds, so that a livelock or a runaway loop fails the run instead of hanging the test. */
const EVENTS_MAX = 300_000
const SAME_MS_EVENTS_MAX = 5_000
const CONVERGE_MAX_MS = 30_000

interface Config {
  brokers: number
  partitions: number
  replicationFactor: number
  minIsr: number
  sessionTimeoutMs: number
  lagMaxMs: number
  fetchWaitMs: number
  requestTimeoutMs: number
  latencyMaxMs: number
  produceTimeoutMs: number
  /** The group members' session (and rebalance) timeout. */
  memberSessionTimeoutMs: number
  groupMembers: number
  /** Upper bound of one storage write's virtual time (0: writes land at once). */
  diskWriteMaxMs: number
  /** unclean.leader.election.enable for the topic: losses it causes are reported, not checked. */
  unclean: boolean
  weights: ActionWeights
  /** Per step, the chance of each extra kind of action (drawn from a stream of its own). */
  extraRates: Partial<Record<ExtraKind, number>>
  /** Transactional ids, one producer each. */
  txnProducers: number
  /** The producers' transaction.timeout.ms (short: stalled transactions abort within the run). */
  txnTimeoutMs: number
  /** Seeds on the controller quorum: the chance of a voter fault per step (absent otherwise). */
  quorumFaultRate?: number
}

function configFor(rng: Rng, extras: Extras): Config {
  const brokers = 3 + (rng.int(4) === 0 ? 1 : 0)
  const replicationFactor = rng.int(4) === 0 ? 2 : 3
  return {
    brokers,
    partitions: 1 + rng.int(3),
    replicationFactor,
    minIsr: Math.min(rng.int(4) === 0 ? 1 : 2, replicationFactor),
    sessionTimeoutMs: 250 + 50 * rng.int(8),
    lagMaxMs: 150 + 50 * rng.int(10),
    fetchWaitMs: 20 + 10 * rng.int(9),
    requestTimeoutMs: 100 + 50 * rng.int(6),
    latencyMaxMs: 1 + rng.int(8),
    produceTimeoutMs: 200 + 100 * rng.int(6),
    memberSessionTimeoutMs: 300 + 100 * rng.int(8),
    groupMembers: 1 + rng.int(3),
    diskWriteMaxMs: [0, 2, 5, 20][rng.int(4)]!,
    unclean: rng.int(10) === 0,
    weights: drawWeights(rng),
    txnProducers: 1 + rng.int(3),
    txnTimeoutMs: 800 + 200 * rng.int(8),
    extraRates: Object.fromEntries(EXTRA_KINDS.map((kind) => [kind, extras[kind].rate])),
  }
}

class Stop extends Error {}

export async function runSeed(seed: number, opts: SeedOptions = {}): Promise<SeedResult> {
  const steps = opts.steps ?? 250
  // Independent streams per concern, all from the seed.
  const events = seededRng(seed)
  const stream = (salt: number): Rng => seededRng((Math.imul(seed, 0x9e3779b1) ^ salt) >>> 0)
  const extras = drawExtras((kind) => stream(6 + EXTRA_KINDS.indexOf(kind)), opts.extras ?? EXTRA_KINDS)
  const cfg = configFor(events, extras)
  // An unclean election forfeits what transactions promise: no transactions in those seeds.
  if (cfg.unclean) for (const kind of TXN_ACTIONS) cfg.weights[kind] = 0
  // The quorum's streams are their own: a seed off the quorum replays as it did before it.
  const quorumRngs = opts.quorum ? { raft: stream(20), delays: stream(21), actions: stream(22) } : null
  if (quorumRngs) cfg.quorumFaultRate = 0.02 + 0.08 * quorumRngs.actions.next()
  const trace: string[] = []
  let step = 0
  let failure: SeedFailure | null = null
  let sim: SimNode | null = null
  const tracer = opts.trace ? (line: () => string): void => void trace.push(`${sim?.sched.nowMs() ?? 0}ms #${step} ${line()}`) : null
  const fail = (message: string): void => {
    if (failure) return
    failure = { step, timeMs: sim?.sched.nowMs() ?? 0, message }
    tracer?.(() => `FAIL ${message}`)
  }

  sim = await SimNode.create({
    brokers: cfg.brokers,
    network: { latencyMinMs: 0, latencyMaxMs: cfg.latencyMaxMs, requestTimeoutMs: cfg.requestTimeoutMs },
    persistMaxMs: 5,
    diskWriteMaxMs: cfg.diskWriteMaxMs,
    controllerTickMs: 200,
    brokerConfigs: {
      'broker.heartbeat.interval.ms': '50',
      'broker.session.timeout.ms': String(cfg.sessionTimeoutMs),
      'replica.lag.time.max.ms': String(cfg.lagMaxMs),
      'replica.fetch.wait.max.ms': String(cfg.fetchWaitMs),
      'leader.imbalance.check.interval.seconds': '1',
      'min.insync.replicas': String(cfg.minIsr),
      'group.min.session.timeout.ms': '100',
      'offsets.topic.num.partitions': '2',
      'transaction.state.log.num.partitions': '2',
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': '250',
    },
    rngs: { controller: stream(1), network: stream(2), persist: stream(3), disk: stream(4) },
    quorum: quorumRngs ? { rngs: quorumRngs, delayMaxMs: cfg.latencyMaxMs, snapshotBytes: opts.snapshotBytes } : undefined,
    trace: tracer,
    fail,
  })
  const cluster = sim
  cluster.net.trace = tracer
  const invariants = new Invariants(cluster, TOPIC, cfg.minIsr, fail)
  let topicId = ''
  const workload = new Workload(cluster, TOPIC, cfg.partitions, tracer, (batch) => invariants.checkAck(batch, topicId, cfg.replicationFactor), cfg.requestTimeoutMs)
  const deletions = new Deletions(cluster, TOPIC, cfg.partitions, tracer, fail, cfg.unclean, cfg.requestTimeoutMs)
  const idempotent = new IdempotentProducers(cluster, TOPIC, cfg.partitions, tracer, fail, cfg.unclean, cfg.requestTimeoutMs, deletions)
  const reassignments = new Reassignments(cluster, TOPIC, cfg.partitions, tracer, fail, cfg.requestTimeoutMs)
  cluster.onCommit = (records) => {
    invariants.checkMetadata(records, workload)
    deletions.onCommit()
    reassignments.onCommit()
  }
  const consumers = new Consumers(cluster, TOPIC, cfg.partitions, invariants, tracer, fail, cfg.unclean, cfg.requestTimeoutMs, deletions)
  const groups = new GroupMembers(cluster, TOPIC, cfg.partitions, cfg.groupMembers, cfg.memberSessionTimeoutMs, cfg.requestTimeoutMs, tracer, fail)
  const transactions = new TransactionalProducers(cluster, TOPIC, cfg.partitions, cfg.txnProducers, cfg.txnTimeoutMs, cfg.produceTimeoutMs, cfg.requestTimeoutMs, stream(5), tracer, fail)
  const txnChecks = new TxnInvariants(cluster, TOPIC, cfg.partitions, transactions, cfg.requestTimeoutMs, tracer, fail)
  let txnStats: Record<string, number> = {}
  // A consumer tailing the partition reads while the transaction is open: the LSO must hold back.
  transactions.onFirstBatch = (partition) => void txnChecks.read(partition, 0)
  let eventCount = 0

  /** Runs timers up to `limitMs` (or until `done()`), draining promise work after each. */
  const runUntil = async (limitMs: number, done?: () => boolean): Promise<void> => {
    let sameMs = 0
    let lastMs = cluster.sched.nowMs()
    for (;;) {
      if (failure) throw new Stop()
      if (done?.()) return
      let fn = cluster.sched.popDue(limitMs)
      if (!fn) {
        // Promise work started outside a timer (an action) may still set timers: let it run first.
        await drainMicrotasks()
        fn = cluster.sched.popDue(limitMs)
        if (!fn) break
      }
      const now = cluster.sched.nowMs()
      if (now !== lastMs) {
        lastMs = now
        sameMs = 0
      } else if (++sameMs > SAME_MS_EVENTS_MAX) {
        fail(`livelock: more than ${SAME_MS_EVENTS_MAX} timers at ${now} ms without time moving`)
      }
      if (++eventCount > EVENTS_MAX) fail(`runaway: more than ${EVENTS_MAX} timer events`)
      try {
        fn()
      } catch (error) {
        fail(`a timer threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      }
      await drainMicrotasks()
      invariants.checkBrokers()
      deletions.checkReplicas()
      cluster.quorum?.observe()
    }
    if (failure) throw new Stop()
    cluster.sched.advanceTo(limitMs)
  }
  const runFor = (ms: number): Promise<void> => runUntil(cluster.sched.nowMs() + ms)
  const settle = async (): Promise<void> => {
    await yieldToEventLoop()
    invariants.checkBrokers()
    deletions.checkReplicas()
    if (failure) throw new Stop()
  }
  const background = (what: string, work: Promise<unknown>): void => {
    work.catch((error: unknown) => fail(`${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
  }

  // Real timers, clock or randomness in src/ would make the run depend on the machine.
  const unguard = guardRealTime((message) => fail(`not deterministic: ${message}`))
  try {
    // Boot: brokers register, the topic is created with every broker live.
    tracer?.(() => `config ${JSON.stringify(cfg)}`)
    let booted = 0
    for (const id of cluster.ids) background(`starting broker ${id}`, cluster.start(id).then(() => booted++))
    await runUntil(5_000, () => booted === cluster.ids.length)
    if (booted !== cluster.ids.length) fail('the brokers did not start')
    cluster.startControllerTicks()
    let created = false
    background(
      'creating the topic',
      cluster
        .submit(() => cluster.controller.createTopic({
            name: TOPIC,
            numPartitions: cfg.partitions,
            replicationFactor: cfg.replicationFactor,
            configs: [{ name: 'unclean.leader.election.enable', value: String(cfg.unclean) }],
          }),
        )
        .then((r) => {
          if (r.errorCode !== ErrorCode.NONE) throw new Error(r.errorMessage ?? `error ${r.errorCode}`)
          topicId = r.value!.topicId
          created = true
        }),
    )
    await runUntil(cluster.sched.nowMs() + 5_000, () => created)
    await runFor(50)

    for (step = 1; step <= steps; step++) {
      for (const what of extraActions(extras, { deletions, reassignments, partitions: cfg.partitions, produceTimeoutMs: cfg.produceTimeoutMs })) tracer?.(() => `step: ${what}`)
      const voterFault = cluster.quorum?.act(cfg.quorumFaultRate!, background)
      if (voterFault) tracer?.(() => `step: ${voterFault}`)
      const what = randomAction(events, cfg.weights, {
        node: cluster,
        workload,
        idempotent,
        consumers,
        groups,
        transactions,
        txnChecks,
        fetchWaitMs: cfg.fetchWaitMs,
        topicName: TOPIC,
        partitions: cfg.partitions,
        produceTimeoutMs: cfg.produceTimeoutMs,
        step,
        background,
      })
      if (what) tracer?.(() => `step: ${what}`)
      await settle()
      const advanceMs = events.int(20) === 0 ? 100 + events.int(600) : events.int(40)
      await runFor(advanceMs)
      invariants.checkAcked(workload)
      deletions.checkAcked()
      if (failure) throw new Stop()
    }

    // The end: heal everything, restart everyone, and let the cluster catch up.
    step = steps + 1
    tracer?.(() => 'step: heal everything, restart every broker')
    cluster.net.healAll()
    transactions.stopping = true
    for (const id of cluster.withCondition('paused')) cluster.resume(id)
    await settle()
    const restartDown = (): void => {
      for (const id of cluster.withCondition('down')) background(`restarting broker ${id}`, cluster.start(id))
      // Voters too (a stop still resigning when the end came is down only now).
      cluster.quorum?.healAll(background)
    }
    restartDown()
    const deadlineMs = cluster.sched.nowMs() + CONVERGE_MAX_MS
    let nextCheckMs = 0
    await runUntil(deadlineMs, () => {
      const now = cluster.sched.nowMs()
      if (now < nextCheckMs) return false
      nextCheckMs = now + 20
      // A broker crashed by a controlled shutdown still queued at the end: bring it back too.
      restartDown()
      // The idempotent producers retry what they have not had acknowledged, to the end.
      idempotent.retryPending(cfg.produceTimeoutMs)
      // The read_committed readers read to the end once every transaction is over.
      // Every reassignment ends once the brokers are back.
      return converged(cluster, TOPIC, workload, idempotent) && reassignments.ended() && (cfg.unclean || txnChecks.caughtUp((p) => leaderLeo(cluster, TOPIC, p)))
    })
    if (!converged(cluster, TOPIC, workload, idempotent)) fail(`the cluster did not catch up within ${CONVERGE_MAX_MS} ms of healing: ${describeState(cluster, TOPIC)}`)
    if (!reassignments.ended()) fail(`the reassignments did not end within ${CONVERGE_MAX_MS} ms of healing: ${describeState(cluster, TOPIC)}`)
    if (!cfg.unclean && !txnChecks.caughtUp((p) => leaderLeo(cluster, TOPIC, p))) {
      fail(`the transactions did not end within ${CONVERGE_MAX_MS} ms of healing: ${txnChecks.describeLag()}; ${describeState(cluster, TOPIC)}`)
    }
    invariants.checkAcked(workload)
    deletions.checkAcked()
    invariants.checkReplicasIdentical()
    await cluster.quorum?.checkEnd()
    reassignments.checkEnd()
    auditLogs(cluster, TOPIC, workload, idempotent, cfg.unclean, fail)
    if (!cfg.unclean) txnStats = txnChecks.checkEnd()
    if (failure) throw new Stop()
  } catch (error) {
    if (!(error instanceof Stop)) fail(`the simulation threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  } finally {
    for (const id of cluster.ids) cluster.crash(id)
    unguard()
  }

  return {
    seed,
    failure,
    trace,
    config: JSON.stringify(cfg),
    stats: {
      events: eventCount,
      virtualMs: cluster.sched.nowMs(),
      sent: workload.sent,
      ackedAll: workload.acked.reduce((n, a) => n + a.length, 0),
      ackedOne: workload.ackedOne.reduce((n, a) => n + a.length, 0),
      notEnoughReplicas: workload.errors.get('NOT_ENOUGH_REPLICAS') ?? 0,
      forfeitedToUnclean: invariants.forfeited,
      idempotentAcked: idempotent.acked.length,
      idempotentRetriedAcked: idempotent.acked.filter((a) => a.attempts > 1).length,
      idempotentRestarts: idempotent.restarts,
      consumedBatches: consumers.batchesRead,
      deleteRecordsSent: deletions.sent,
      deleteRecordsAcked: deletions.acknowledged,
      consumerOutOfRange: consumers.errors.get('OFFSET_OUT_OF_RANGE') ?? 0,
      reassignSent: reassignments.sent,
      reassignAcked: reassignments.acknowledged,
      reassignCancels: reassignments.cancels,
      groupAssignments: groups.checks.assignments,
      groupGenerationsReused: groups.checks.reused,
      groupCommitsAcked: groups.checks.commitsAcked,
      groupOffsetsChecked: groups.checks.offsetsChecked,
      txnStarted: transactions.transactions.size,
      ...txnStats,
      txnZombies: transactions.stats.zombies,
      txnZombieWrites: transactions.stats.zombieWrites,
      txnStalls: transactions.stats.stalls,
      txnStops: transactions.stats.stops,
      txnEpochBumps: transactions.stats.epochBumps,
      txnOffsetCommits: transactions.stats.offsetCommits,
      txnRecordsRead: txnChecks.recordsRead,
      txnLsoChecks: txnChecks.lsoChecks,
      txnOffsetReads: txnChecks.offsetReads,
      ...cluster.stats,
      ...cluster.quorum?.stats,
      ...Object.fromEntries(Object.entries(cluster.net.stats).map(([k, v]) => [`net.${k}`, v])),
    },
  }
}

/** The log end offset of a partition's leader, when it leads as the metadata says. */
function leaderLeo(cluster: SimNode, topicName: string, partition: number): number | null {
  const p = cluster.image.partition(topicName, partition)
  if (!p || p.leader < 0) return null
  const h = cluster.hosted(p.leader, p.topicId, p.partition)
  return h?.log && h.role === 'leader' && h.leaderEpoch === p.leaderEpoch ? h.log.logEndOffset : null
}

/** Every partition led by a running broker, every replica in the ISR and at the leader's LEO, HWM at LEO. */
function converged(cluster: SimNode, topicName: string, workload: Workload, idempotent: IdempotentProducers): boolean {
  if (workload.inFlight > 0 || idempotent.unacknowledged > 0) return false
  if (cluster.ids.some((id) => cluster.condition(id) !== 'up' || cluster.image.brokers.get(id)?.fenced !== false)) return false
  for (const p of cluster.image.topicsByName.get(topicName)?.partitions ?? []) {
    if (p.leader < 0 || p.isr.length !== p.replicas.length) return false
    const leader = cluster.hosted(p.leader, p.topicId, p.partition)
    if (!leader?.log || leader.role !== 'leader' || !leader.leader || leader.leaderEpoch !== p.leaderEpoch) return false
    const leo = leader.log.logEndOffset
    if (leader.leader.highWatermark !== leo) return false
    for (const id of p.replicas) {
      const h = cluster.hosted(id, p.topicId, p.partition)
      // The leader's log start (DeleteRecords) reaches every replica too, on its disk: a log moves
      // its start at once and writes it after (reads below it are refused from then on), and the
      // end checks read the disks, so a follower whose only lag was its log start is caught up
      // once that write has landed. A follower may start later: a deletion on a leader that died
      // before its successor learnt it stays on replicas that did.
      if (!h?.log || h.log.logEndOffset !== leo) return false
      if ((cluster.stored(id, p.topicId, p.partition)?.state.logStartOffset ?? 0) < leader.log.logStartOffset) return false
    }
  }
  return true
}

function describeState(cluster: SimNode, topicName: string): string {
  const parts: string[] = []
  for (const id of cluster.ids) parts.push(`broker ${id} ${cluster.condition(id)}${cluster.image.brokers.get(id)?.fenced ? ' fenced' : ''}`)
  for (const p of cluster.image.topicsByName.get(topicName)?.partitions ?? []) {
    const leos = p.replicas.map((id) => {
      const h = cluster.hosted(id, p.topicId, p.partition)
      return `${id}:${h ? `${h.role}@${h.leaderEpoch} LEO ${h.log?.logEndOffset} HWM ${h.leader?.highWatermark ?? h.log?.highWatermark}` : '-'}`
    })
    const moving = p.addingReplicas.length + p.removingReplicas.length > 0 ? ` (moving: adding [${p.addingReplicas}], removing [${p.removingReplicas}])` : ''
    parts.push(`p${p.partition} leader ${p.leader} epoch ${p.leaderEpoch} ISR [${p.isr}]${moving} replicas ${leos.join(', ')}`)
  }
  return parts.join('; ')
}
