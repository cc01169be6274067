/**
 * What the simulation commands (`broker`, `cluster`, `failover`, `fault`) print and parse: the
 * tables of brokers, partitions, moves, recoveries and faults, and the arguments that name a
 * broker, a link, a partition or an API.
 */
import { SluiceError } from '../common/errors.js'
import { describeFault } from '../common/fault-text.js'
import type { BrokerInfo, Fault, LeaderMove, PartitionState, RebalanceMove, RecoveryStatus } from '../common/control-contract.js'
import { formatBytes } from '../client/produce/summary.js'
import { formatTable } from './table.js'

/**
 * A positional id (broker, fault). Parsed here rather than with oclif's Args.integer, whose
 * errors do not read as usage errors.
 */
export function parseId(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw new SluiceError('USAGE', `bad ${what} "${text}": expected a number such as 2`)
  return Number(text.trim())
}

/** `1-2` -> [1, 2]: the link between two brokers. */
export function parseLink(text: string): [number, number] {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text)
  if (!m) throw new SluiceError('USAGE', `bad --link "${text}": expected two broker ids joined by a dash, e.g. 1-2`)
  const link: [number, number] = [Number(m[1]), Number(m[2])]
  if (link[0] === link[1]) throw new SluiceError('USAGE', `bad --link "${text}": a link joins two different brokers`)
  return link
}

/** `TOPIC` or `TOPIC:PARTITION` (Kafka topic names cannot contain ':'). */
export function parseTopicPartition(text: string): { topic: string; partition?: number } {
  const colon = text.lastIndexOf(':')
  if (colon < 0) return { topic: text }
  const topic = text.slice(0, colon)
  const part = text.slice(colon + 1)
  if (topic === '' || !/^\d+$/.test(part)) {
    throw new SluiceError('USAGE', `bad partition "${text}": expected TOPIC or TOPIC:PARTITION, e.g. orders:0`)
  }
  return { topic, partition: Number(part) }
}

/** `produce`, `list-offsets`, `ListOffsets`... -> the API name the fault injector knows (`ListOffsets`). */
export function apiName(text: string, known: readonly string[]): string {
  const squash = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '')
  return known.find((name) => squash(name) === squash(text)) ?? text
}

/** `-1` (no leader) reads as "none" in tables. */
export const leaderText = (id: number): string => (id < 0 ? 'none' : String(id))

/** The brokers table of `broker list`, `cluster status` and the broker actions; `*` marks the controller. */
export function brokerTable(brokers: BrokerInfo[], controllerId: number): string {
  return formatTable(
    ['broker', 'address', 'state', 'leader of', 'replica of', 'epoch', 'metadata lag', 'connections'],
    brokers.map((b) => [
      b.id === controllerId ? `${b.id}*` : b.id,
      `${b.host}:${b.port}`,
      b.state,
      b.leaderOf,
      b.replicaOf,
      b.epoch,
      b.metadataLag ?? '-',
      b.connections,
    ]),
  )
}

/** One line per broker whose log dir is offline, with the reason (under the brokers table). */
export function logDirLines(brokers: ReadonlyArray<{ id: number; logDirError: string | null }>): string[] {
  return brokers.flatMap((b) => (b.logDirError ? [`broker ${b.id}: log dir offline: ${b.logDirError}`] : []))
}

/** A rebalance plan (`cluster rebalance`, `broker remove --move`): replicas from -> to, and the bytes each move copies. */
export function replicaMovesTable(moves: readonly RebalanceMove[]): string {
  return formatTable(
    ['topic', 'partition', 'replicas', 'to', 'copies'],
    moves.map((m) => [m.topic, m.partition, m.from.join(','), m.to.join(','), m.bytes === 0 && m.to.every((id) => m.from.includes(id)) ? 'reorder' : formatBytes(m.bytes)]),
  )
}

/** The partitions table of `cluster partitions` and `cluster status`. */
export function partitionTable(partitions: PartitionState[]): string {
  return formatTable(
    ['topic', 'partition', 'leader', 'epoch', 'replicas', 'isr'],
    partitions.map((p) => [p.topic, p.partition, leaderText(p.leader), p.leaderEpoch, p.replicas.join(','), p.isr.join(',')]),
  )
}

/** Replicas that had to recover from corruption, for `cluster status` and `daemon status`. */
export function recoveriesTable(recoveries: RecoveryStatus[]): string {
  return formatTable(
    ['broker', 'topic', 'partition', 'offsets', 'state', 'found', 'recovered'],
    // An unreadable log is recovered whole: offsets 0 to -1.
    recoveries.map((r) => [r.broker, r.topic, r.partition, r.lastOffset < r.firstOffset ? 'all' : `${r.firstOffset}-${r.lastOffset}`, r.state, r.foundAt, r.recoveredAt ?? '-']),
  )
}

/** The moves table of `failover`, `cluster elect-leaders` and `broker kill --clean`. */
export function movesTable(moves: LeaderMove[]): string {
  return formatTable(
    ['topic', 'partition', 'from', 'to', 'epoch'],
    moves.map((m) => [m.topic, m.partition, leaderText(m.from), leaderText(m.to), m.leaderEpoch]),
  )
}

export function faultTable(faults: Fault[]): string {
  return formatTable(
    ['id', 'kind', 'fault', 'seed', 'since'],
    faults.map((f) => [f.id, f.kind, describeFault(f), f.seed, f.createdAt]),
  )
}
