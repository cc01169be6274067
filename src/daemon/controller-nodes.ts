/**
 * The controller quorum's voters as nodes to drive (`sluice controller list|kill|start|pause|resume`).
 * In dedicated mode (KRaft's process.roles=controller) a voter is a node of its own, ids 3000..,
 * with no Kafka listener and no partitions: killing it crashes (or, clean, stops) its Raft voter,
 * pausing it cuts it off the quorum's transport (a hung process: it neither sends nor receives)
 * until resume. In combined mode a voter lives in a broker's process, as in KRaft's combined
 * nodes, which have one lifecycle: the actions refuse (USAGE) and name the broker command, which
 * takes the voter with it. Listing works in both modes.
 */
import type { RuntimeEventType } from '../cluster/events.js'
import type { ControllerInfo, ControllerListResult, ControllerState } from '../common/control-contract.js'
import type { ControllerMode } from '../common/daemon-config.js'
import { SluiceError } from '../common/errors.js'
import type { Logger } from '../common/logger.js'
import type { QuorumMetadataLog } from './quorum-metadata-log.js'
import type { InProcessTransport } from './quorum-transport.js'
import type { RuntimeEvents } from './runtime-events.js'

export interface ControllerNodesParts {
  mode: ControllerMode
  voters: readonly number[]
  quorum: QuorumMetadataLog
  transport: InProcessTransport
  log: Logger
  event: (...args: Parameters<RuntimeEvents['publish']>) => void
  /** Tells the quorum events (voter down or up, frozen or recovered) after an action. */
  checkQuorum: () => void
}

export class ControllerNodes {
  constructor(private readonly parts: ControllerNodesParts) {}

  list(): ControllerListResult {
    const { quorum, transport, voters, mode } = this.parts
    const leaderId = quorum.describe().leaderId
    const controllers = voters.map((id): ControllerInfo => {
      const s = quorum.voterState(id)
      const state: ControllerState = s === null ? 'killed' : transport.isIsolated(id) ? 'paused' : 'running'
      return { id, state, leader: id === leaderId, epoch: s?.epoch ?? -1, role: s?.role ?? null }
    })
    return { mode, leaderId: leaderId ?? -1, controllers }
  }

  private stateOf(id: number): ControllerState {
    return this.list().controllers.find((c) => c.id === id)?.state ?? 'killed'
  }

  async kill(id: number, clean: boolean): Promise<void> {
    if (this.dedicated(id, 'kill') === 'killed') return
    const { quorum, transport } = this.parts
    // A paused controller killed: it comes back by `start`, not cut off.
    transport.isolate(id, false)
    if (clean) await quorum.stopVoter(id)
    else quorum.crashVoter(id)
    this.told('controller.killed', id, clean ? `controller ${id} shut down (resigning first if it led)` : `controller ${id} killed`, { clean })
  }

  async start(id: number): Promise<void> {
    const was = this.dedicated(id, 'start')
    if (was === 'paused') return this.resume(id)
    if (was === 'running') return
    await this.parts.quorum.startVoter(id)
    this.told('controller.started', id, `controller ${id} started`)
  }

  pause(id: number): void {
    if (this.dedicated(id, 'pause') !== 'running') return
    this.parts.transport.isolate(id, true)
    this.told('controller.paused', id, `controller ${id} paused (hung: it neither sends nor receives)`)
  }

  resume(id: number): void {
    if (this.dedicated(id, 'resume') !== 'paused') return
    this.parts.transport.isolate(id, false)
    this.told('controller.resumed', id, `controller ${id} resumed`)
  }

  /** The voter's state; NOT_FOUND for no such voter, USAGE in combined mode (its broker's command drives it). */
  private dedicated(id: number, action: string): ControllerState {
    const { voters, mode } = this.parts
    if (!voters.includes(id)) throw new SluiceError('NOT_FOUND', `no controller ${id} (the controllers are ${voters.join(', ')})`)
    if (mode !== 'dedicated') {
      throw new SluiceError(
        'USAGE',
        `controller ${id} runs inside broker ${id} (combined mode: one process, one lifecycle); use \`sluice broker ${action} ${id}\`, which takes its controller with it`,
      )
    }
    return this.stateOf(id)
  }

  private told(type: RuntimeEventType, id: number, message: string, fields: Record<string, unknown> = {}): void {
    this.parts.log.info(message, { controller: id })
    this.parts.event(type, { controller: id, ...fields }, message)
    this.parts.checkQuorum()
  }
}
