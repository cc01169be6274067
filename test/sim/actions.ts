/**
 * The random actions of a step, and their weights. Each seed draws its own mix ("swarm testing"):
 * some kinds of fault are off for the whole seed and the others more or less frequent, so that
 * seeds explore different corners (only cut links, only crashes, many failovers...) rather than
 * one average mix. Recovery actions (restart, resume, heal) stay on so that clusters come back.
 */
import type { Rng } from '../../src/cluster/rng.js'
import type { SimNode } from './sim-node.js'
import type { Consumers } from './consumers.js'
import type { Deletions } from './deletions.js'
import type { Reassignments } from './reassignments.js'
import type { GroupMembers } from './groups.js'
import type { IdempotentProducers } from './idempotent.js'
import type { Workload } from './workload.js'
import type { TransactionalProducers } from './transactions.js'
import type { TxnInvariants } from './txn-invariants.js'

const BASE_WEIGHTS = {
  produce: 30,
  produceIdempotent: 15,
  consume: 15,
  group: 12,
  groupCrash: 1,
  idle: 10,
  crash: 6,
  restart: 8,
  pause: 3,
  resume: 5,
  cutLink: 4,
  healLink: 4,
  cutController: 2,
  healController: 2,
  controlledShutdown: 2,
  failover: 3,
  preferredElection: 1,
  healAll: 1,
  // Transactions (transactions.ts, txn-invariants.ts): off in seeds that allow unclean elections.
  transaction: 12,
  txnRead: 6,
  txnOffsets: 3,
  txnZombie: 1,
  txnStall: 1,
  crashTxnCoordinator: 2,
  crashTxnLeader: 2,
}

export type ActionKind = keyof typeof BASE_WEIGHTS

/** The kinds that drive or watch transactions. */
export const TXN_ACTIONS: ActionKind[] = ['transaction', 'txnRead', 'txnOffsets', 'txnZombie', 'txnStall', 'crashTxnCoordinator', 'crashTxnLeader']

const ALWAYS_ON: ActionKind[] = ['produce', 'restart', 'resume', 'healLink', 'healController', 'healAll']

export type ActionWeights = Record<ActionKind, number>

export function drawWeights(rng: Rng): ActionWeights {
  const weights = { ...BASE_WEIGHTS }
  for (const kind of Object.keys(weights) as ActionKind[]) {
    if (!ALWAYS_ON.includes(kind) && rng.int(4) === 0) weights[kind] = 0
    else weights[kind] = weights[kind] * (0.5 + rng.next() * 1.5)
  }
  return weights
}

export interface ActionContext {
  node: SimNode
  workload: Workload
  idempotent: IdempotentProducers
  consumers: Consumers
  groups: GroupMembers
  transactions: TransactionalProducers
  txnChecks: TxnInvariants
  /** The longest a consumer's Fetch waits for data. */
  fetchWaitMs: number
  topicName: string
  partitions: number
  produceTimeoutMs: number
  step: number
  /** Starts work that settles later in virtual time; a rejection fails the run. */
  background: (what: string, work: Promise<unknown>) => void
}

/** Picks and applies one action; returns its description for the trace (null when it did nothing). */
export function randomAction(rng: Rng, weights: ActionWeights, ctx: ActionContext): string | null {
  const { node } = ctx
  const pick = <T>(items: T[]): T | undefined => (items.length === 0 ? undefined : items[rng.int(items.length)])
  const kinds = Object.keys(weights) as ActionKind[]
  let r = rng.next() * kinds.reduce((sum, k) => sum + weights[k], 0)
  let kind = kinds[kinds.length - 1]!
  for (const k of kinds) {
    r -= weights[k]
    if (r < 0) {
      kind = k
      break
    }
  }
  const up = node.withCondition('up')
  switch (kind) {
    case 'produce': {
      const out: string[] = []
      for (let i = 1 + rng.int(3); i > 0; i--) {
        out.push(ctx.workload.produce(rng.int(ctx.partitions), rng.int(6) === 0 ? 1 : -1, 1 + rng.int(3), ctx.produceTimeoutMs, ctx.step))
      }
      return out.join('; ')
    }
    case 'produceIdempotent':
      return ctx.idempotent.produce(rng.int(ctx.partitions), 1 + rng.int(3), ctx.produceTimeoutMs)
    case 'consume':
      return ctx.consumers.fetch(rng.int(ctx.partitions), rng.int(3) === 0 ? 0 : rng.int(ctx.fetchWaitMs + 1))
    case 'group':
      return ctx.groups.step(rng)
    case 'groupCrash':
      return ctx.groups.crash(rng)
    case 'idle':
      return null
    case 'crash': {
      const id = pick([...up, ...node.withCondition('paused'), ...node.withCondition('starting')])
      if (id === undefined) return null
      node.crash(id)
      return `crash broker ${id}`
    }
    case 'restart': {
      const id = pick(node.withCondition('down'))
      if (id === undefined) return null
      ctx.background(`restarting broker ${id}`, node.start(id))
      return `restart broker ${id}`
    }
    case 'pause': {
      const id = pick(up)
      if (id === undefined) return null
      node.pause(id)
      return `pause broker ${id}`
    }
    case 'resume': {
      const id = pick(node.withCondition('paused'))
      if (id === undefined) return null
      node.resume(id)
      return `resume broker ${id}`
    }
    case 'cutLink': {
      const a = pick(node.ids)!
      const b = pick(node.ids.filter((id) => id !== a))!
      node.net.cut(a, b)
      return `cut the link ${a}-${b}`
    }
    case 'healLink': {
      const link = pick(node.net.cutLinks())
      if (!link) return null
      node.net.heal(link[0], link[1])
      return `heal the link ${link[0]}-${link[1]}`
    }
    case 'cutController': {
      const id = pick(node.ids)!
      node.net.cutController(id)
      return `cut broker ${id} from the controller`
    }
    case 'healController': {
      const id = pick(node.net.controllerCutBrokers())
      if (id === undefined) return null
      node.net.healController(id)
      return `heal broker ${id}'s controller link`
    }
    case 'controlledShutdown': {
      const id = pick(up)
      if (id === undefined) return null
      ctx.background(`controlled shutdown of broker ${id}`, node.controlledShutdown(id))
      return `controlled shutdown of broker ${id}`
    }
    case 'failover': {
      const partition = rng.int(ctx.partitions)
      ctx.background(`failover of partition ${partition}`, node.submit(() => node.controller.failover(ctx.topicName, partition)))
      return `failover partition ${partition}`
    }
    case 'preferredElection':
      ctx.background('preferred leader election', node.submit(() => node.controller.electPreferredLeaders()))
      return 'elect preferred leaders'
    case 'healAll':
      node.net.healAll()
      return 'heal every link'
    case 'transaction':
      return ctx.transactions.begin(rng.int(ctx.transactions.slotCount))
    case 'txnRead':
      return ctx.txnChecks.read(rng.int(ctx.partitions), rng.int(3) === 0 ? 0 : rng.int(ctx.fetchWaitMs + 1))
    case 'txnOffsets':
      return ctx.txnChecks.readOffsets(rng.int(ctx.transactions.slotCount), rng.int(2) === 0)
    case 'txnZombie':
      return ctx.transactions.zombie(rng.int(ctx.transactions.slotCount))
    case 'txnStall':
      return ctx.transactions.stall(rng.int(ctx.transactions.slotCount), rng.int(3) === 0)
    case 'crashTxnCoordinator': {
      // In the middle of a transaction: the coordinator's broker, as the metadata names it.
      const slot = pick(ctx.transactions.busySlots())
      const id = slot === undefined ? null : ctx.transactions.coordinatorOf(slot)
      if (id === null || node.condition(id) === 'down') return null
      node.crash(id)
      return `crash broker ${id}, coordinator of ${ctx.transactions.transactionalId(slot!)}`
    }
    case 'crashTxnLeader': {
      const txn = pick(ctx.transactions.open())
      const partition = txn ? pick(txn.partitions) : undefined
      const id = partition === undefined ? -1 : (node.image.partition(ctx.topicName, partition)?.leader ?? -1)
      if (id < 0 || node.condition(id) === 'down') return null
      node.crash(id)
      return `crash broker ${id}, leader of p${partition} in transaction ${txn!.name}`
    }
  }
}

/**
 * The actions added after the seeds of regressions.test.ts were found. Each kind draws from a
 * stream of its own, apart from the step's action, so that a seed without it (its rate zero, or
 * left out of `extras`) replays as it did before it existed. Each seed draws its rates (swarm
 * testing): each kind is off in about a third of the seeds.
 */
export const EXTRA_KINDS = ['deleteRecords', 'reassign'] as const
export type ExtraKind = (typeof EXTRA_KINDS)[number]

/** Per kind: its stream, and its chance per step. */
export type Extras = Record<ExtraKind, { rng: Rng; rate: number }>

const EXTRA_RATE_MAX: Record<ExtraKind, number> = {
  // DeleteRecords (deletions.ts), to the leader's high watermark or part of the way.
  deleteRecords: 0.08,
  // AlterPartitionReassignments (reassignments.ts): a move to a random replica set, or a cancel.
  reassign: 0.05,
}

/** The extra kinds of a seed, each with its stream (`streamOf(kind)`); kinds not `on` stay off. */
export function drawExtras(streamOf: (kind: ExtraKind) => Rng, on: readonly ExtraKind[]): Extras {
  const extras = {} as Extras
  for (const kind of EXTRA_KINDS) {
    const rng = streamOf(kind)
    const rate = rng.int(3) === 0 ? 0 : EXTRA_RATE_MAX[kind] * (0.25 + 0.75 * rng.next())
    extras[kind] = { rng, rate: on.includes(kind) ? rate : 0 }
  }
  return extras
}

export interface ExtraContext {
  deletions: Deletions
  reassignments: Reassignments
  partitions: number
  produceTimeoutMs: number
}

/** The extra actions of one step (before its regular action), described for the trace. */
export function extraActions(extras: Extras, ctx: ExtraContext): string[] {
  const out: string[] = []
  const d = extras.deleteRecords
  if (d.rate > 0 && d.rng.next() < d.rate) {
    const what = ctx.deletions.send(d.rng.int(ctx.partitions), d.rng.int(4) === 0, d.rng.next(), ctx.produceTimeoutMs)
    if (what) out.push(what)
  }
  const r = extras.reassign
  if (r.rate > 0 && r.rng.next() < r.rate) {
    const what = ctx.reassignments.send(r.rng, r.rng.int(ctx.partitions), r.rng.int(4) === 0)
    if (what) out.push(what)
  }
  return out
}
