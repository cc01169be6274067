/**
 * The fault injector: faults act at the edges only — the links between brokers (latency, a cut)
 * and a broker's listener (latency, an error code for an API for the next N requests) — never
 * through special cases in the cluster logic. Latency jitter comes from an RNG seeded by the
 * drill's `--seed`, so a drill replays.
 */
import { seededRng, type Rng } from '../cluster/rng.js'
import { SluiceError } from '../common/errors.js'
import { allHandlers } from '../broker/handler.js'
// The handlers register when loaded: the served APIs are what faults may target.
import '../broker/handlers/index.js'
import { ErrorCode, errorCodeByName, errorName, isKnownErrorCode } from '../protocol/errors.js'
import type { Fault, FaultSpec } from '../common/control-contract.js'
import type { LinkFaults } from './links.js'

export interface ListenerFaults {
  /** Extra latency before a broker answers a request (ms), or 0. */
  delayMs(brokerId: number): number
  /** The error code to answer a request with instead of running it, or null. */
  takeError(brokerId: number, apiKey: number): number | null
}

const sameLink = (link: [number, number], a: number, b: number): boolean =>
  (link[0] === a && link[1] === b) || (link[0] === b && link[1] === a)

export class FaultInjector implements LinkFaults, ListenerFaults {
  private readonly faults = new Map<number, Fault & { rng: Rng; apiKey?: number; errorCode?: number }>()
  private nextId = 1

  /** `brokerIds`: the cluster's brokers now (`broker add` and `broker remove` change them). */
  constructor(private readonly brokerIds: () => readonly number[]) {}

  add(spec: FaultSpec, seed = Date.now() & 0x7fffffff): Fault {
    const checkBroker = (id: number): void => {
      const ids = this.brokerIds()
      if (!ids.includes(id)) throw new SluiceError('NOT_FOUND', `no broker ${id} (brokers are ${ids.join(', ')})`)
    }
    const entry: Fault & { rng: Rng; apiKey?: number; errorCode?: number } = {
      ...spec,
      id: this.nextId++,
      seed,
      createdAt: new Date().toISOString(),
      rng: seededRng(seed),
    }
    if (spec.kind === 'latency') {
      if (spec.broker === undefined && spec.link === undefined) throw new SluiceError('USAGE', 'a latency fault needs a broker or a link')
      if (spec.broker !== undefined) checkBroker(spec.broker)
      if (spec.link) spec.link.forEach(checkBroker)
      if (!(spec.latencyMs >= 0)) throw new SluiceError('USAGE', 'latency must be 0 ms or more')
    } else if (spec.kind === 'cut') {
      spec.link.forEach(checkBroker)
      if (spec.link[0] === spec.link[1]) throw new SluiceError('USAGE', 'a link joins two different brokers')
    } else {
      checkBroker(spec.broker)
      // Any API the brokers serve: its error response is built from its schema (error-response.ts).
      const served = allHandlers()
      const apiKey = served.find((h) => h.name.toLowerCase() === spec.api.toLowerCase())?.apiKey
      if (apiKey === undefined) {
        throw new SluiceError('USAGE', `errors can be injected for the APIs the brokers serve (${served.map((h) => h.name).join(', ')}), not "${spec.api}"`)
      }
      const errorCode = /^-?\d+$/.test(spec.error) ? Number(spec.error) : errorCodeByName(spec.error.toUpperCase())
      if (errorCode === undefined || !isKnownErrorCode(errorCode) || errorCode === ErrorCode.NONE) {
        throw new SluiceError('USAGE', `unknown Kafka error "${spec.error}" (use a name such as NOT_LEADER_OR_FOLLOWER, or a code)`)
      }
      if (!(spec.count >= 1)) throw new SluiceError('USAGE', 'an error fault needs a count of 1 or more')
      entry.apiKey = apiKey
      entry.errorCode = errorCode
      // Shown by name however it was given (`--error 6` lists as NOT_LEADER_OR_FOLLOWER).
      if (entry.kind === 'error') entry.error = errorName(errorCode)
      entry.remaining = spec.count
    }
    this.faults.set(entry.id, entry)
    return this.view(entry)
  }

  list(): Fault[] {
    return [...this.faults.values()].map((f) => this.view(f))
  }

  /** Removes one fault, or all; returns how many were removed. */
  clear(id?: number): number {
    if (id === undefined) {
      const n = this.faults.size
      this.faults.clear()
      return n
    }
    if (!this.faults.delete(id)) throw new SluiceError('NOT_FOUND', `no fault ${id}`)
    return 1
  }

  private view(f: Fault & { rng?: Rng; apiKey?: number; errorCode?: number }): Fault {
    const { rng: _rng, apiKey: _apiKey, errorCode: _errorCode, ...rest } = f
    return rest
  }

  private jittered(f: { latencyMs: number; jitterMs?: number; rng: Rng }): number {
    return f.latencyMs + (f.jitterMs ? f.rng.int(f.jitterMs + 1) : 0)
  }

  latencyMs(from: number, to: number): number {
    let ms = 0
    for (const f of this.faults.values()) {
      if (f.kind === 'latency' && f.link && sameLink(f.link, from, to)) ms += this.jittered(f)
    }
    return ms
  }

  isCut(from: number, to: number): boolean {
    for (const f of this.faults.values()) if (f.kind === 'cut' && sameLink(f.link, from, to)) return true
    return false
  }

  delayMs(brokerId: number): number {
    let ms = 0
    for (const f of this.faults.values()) if (f.kind === 'latency' && f.broker === brokerId) ms += this.jittered(f)
    return ms
  }

  takeError(brokerId: number, apiKey: number): number | null {
    for (const f of this.faults.values()) {
      if (f.kind !== 'error' || f.broker !== brokerId || f.apiKey !== apiKey) continue
      f.remaining = (f.remaining ?? 1) - 1
      if (f.remaining <= 0) this.faults.delete(f.id)
      return f.errorCode!
    }
    return null
  }
}
