/**
 * The one body of `sluice broker kill|start|pause|resume`: parse the id, reach the local daemon,
 * make one control call (the daemon answers with the broker's state before, the leaderships that
 * moved and every broker after), tell the person, return the JSON. Each command says only what
 * differs: its help, its flags, its note and its JSON.
 */
import { Args, type Command } from '@oclif/core'
import { localCluster } from '../client/local.js'
import { parseId } from './cluster-views.js'
import type { BrokerActionResult, BrokerInfo, BrokerState } from '../common/control-contract.js'
import { BaseCommand } from './base-command.js'
import { bootstrapFlag } from './kafka-flags.js'

export type BrokerAction = 'kill' | 'start' | 'pause' | 'resume'

/** The --json of `broker start`, `pause` and `resume`. */
export interface BrokerStateChange {
  id: number
  /** The broker's state before the action. */
  was: BrokerState
  brokers: BrokerInfo[]
}

/** A controlled shutdown waits for every leadership to move, a start for the store to open and the broker to register. */
const ACTION_TIMEOUT_MS = 30_000

export abstract class BrokerActionCommand<T extends typeof Command, R> extends BaseCommand<T> {
  static override args = {
    id: Args.string({ description: 'broker id', required: true }),
  }
  static override flags = {
    'bootstrap-server': bootstrapFlag,
  }

  protected abstract readonly action: BrokerAction
  /** The note on stderr (not with --json). */
  protected abstract describe(result: BrokerActionResult): string
  /** The result, as --json prints it. */
  protected abstract output(result: BrokerActionResult): R

  /** Params beyond the id (kill's --clean). */
  protected extraParams(): { clean?: boolean } {
    return {}
  }

  /** A table for stdout under the note (kill --clean: the leaderships that moved), if any. */
  protected table(_result: BrokerActionResult): string | undefined {
    return undefined
  }

  public async run(): Promise<R> {
    // The args and flags every broker action declares (above); T only adds to them.
    const { id: idText } = this.args as { id: string }
    const { 'bootstrap-server': bootstrapServer } = this.flags as { 'bootstrap-server'?: string }
    const id = parseId(idText, 'broker id')
    const local = await localCluster({ home: this.home, bootstrapServer, command: `sluice broker ${this.action}` })
    const result = await local.call(`broker.${this.action}`, { id, ...this.extraParams() }, { timeoutMs: ACTION_TIMEOUT_MS })
    if (!this.jsonEnabled()) {
      this.note(this.describe(result))
      const table = this.table(result)
      if (table !== undefined) this.log(table)
    }
    return this.output(result)
  }
}
