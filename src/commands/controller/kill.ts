import { Flags } from '@oclif/core'
import { ControllerActionCommand } from '../../cli/controller-action.js'
import type { ControllerActionResult } from '../../common/control-contract.js'

export default class ControllerKill extends ControllerActionCommand<typeof ControllerKill> {
  static override summary = 'Kill a dedicated controller of the local cluster: a crash, or a clean shutdown with --clean.'
  static override description = `A crash (the default): the voter stops at once; if it led, the others elect a new leader once their fetch timeout passes (about a second). --clean: a leader resigns first (EndQuorumEpoch), so the others elect at once.
Brokers keep serving produce and fetch throughout; metadata changes (topics, configs, leader elections) need a majority of the controllers: with fewer running they fail with QUORUM_NO_MAJORITY (exit 7). Killing a controller that is down does nothing. Bring it back with \`controller start\`.
Dedicated mode only: in combined mode a controller is its broker's (one process), and \`sluice broker kill ID\` kills both.
Exit codes: 4 when there is no such controller; 2 in combined mode (the controller is its broker's: use the broker command), or (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> controller kill 3000', '<%= config.bin %> controller kill 3001 --clean --json']
  static override flags = {
    clean: Flags.boolean({ description: 'clean shutdown: a leader resigns first', default: false }),
    ...ControllerActionCommand.flags,
  }

  protected readonly action = 'kill'

  protected override extraParams(): { clean: boolean } {
    return { clean: this.flags.clean }
  }

  protected describe({ id, was }: ControllerActionResult): string {
    if (was === 'killed') return `controller ${id} is already down (start it with \`sluice controller start ${id}\`)`
    return this.flags.clean ? `controller ${id} shut down cleanly` : `controller ${id} killed (a crash)`
  }
}
