/**
 * The one body of `sluice controller kill|start|pause|resume`: as the broker actions
 * (broker-action.ts), one control call answering the voter's state before and every voter after;
 * each command says only its help, its flags and its note. The table is `controllerTable`.
 */
import { Args, type Command } from '@oclif/core'
import { localCluster } from '../client/local.js'
import type { ControllerActionResult, ControllerListResult } from '../common/control-contract.js'
import { BaseCommand } from './base-command.js'
import { parseId } from './cluster-views.js'
import { bootstrapFlag } from './kafka-flags.js'
import { formatTable } from './table.js'

export type ControllerAction = 'kill' | 'start' | 'pause' | 'resume'

/** A clean stop waits for the voter's store to close, a start for it to open. */
const ACTION_TIMEOUT_MS = 30_000

/** The voters: id (* the leader: the active controller), state, Raft role and epoch. */
export function controllerTable({ controllers }: ControllerListResult): string {
  return formatTable(
    ['controller', 'state', 'role', 'epoch'],
    controllers.map((c) => [c.leader ? `${c.id}*` : c.id, c.state, c.role ?? '-', c.epoch < 0 ? '-' : c.epoch]),
  )
}

export abstract class ControllerActionCommand<T extends typeof Command> extends BaseCommand<T> {
  static override args = {
    id: Args.string({ description: 'controller id (see `sluice controller list`)', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  protected abstract readonly action: ControllerAction
  /** The note on stderr (not with --json). */
  protected abstract describe(result: ControllerActionResult): string

  /** Params beyond the id (kill's --clean). */
  protected extraParams(): { clean?: boolean } {
    return {}
  }

  public async run(): Promise<ControllerActionResult> {
    const { id: idText } = this.args as { id: string }
    const { 'bootstrap-server': bootstrapServer } = this.flags as { 'bootstrap-server'?: string }
    const id = parseId(idText, 'controller id')
    const local = await localCluster({ home: this.home, bootstrapServer, command: `sluice controller ${this.action}` })
    const result = await local.call(`controller.${this.action}`, { id, ...this.extraParams() }, { timeoutMs: ACTION_TIMEOUT_MS })
    if (!this.jsonEnabled()) {
      this.note(this.describe(result))
      this.log(controllerTable(result))
    }
    return result
  }
}
