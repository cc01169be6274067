import { ControllerActionCommand } from '../../cli/controller-action.js'
import type { ControllerActionResult } from '../../common/control-contract.js'

export default class ControllerPause extends ControllerActionCommand<typeof ControllerPause> {
  static override summary = 'Pause a dedicated controller of the local cluster: a hung controller.'
  static override description = `The voter keeps running but neither sends nor receives: a paused leader is replaced after the others' fetch timeout, and keeps believing it leads until it hears of the new epoch once resumed.
Undo with \`controller resume\`. Dedicated mode only: in combined mode use \`sluice broker pause ID\`.
Exit codes: 4 when there is no such controller; 2 in combined mode (the controller is its broker's: use the broker command), or (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> controller pause 3000']

  protected readonly action = 'pause'

  protected describe({ id, was }: ControllerActionResult): string {
    if (was === 'killed') return `controller ${id} is down: there is nothing to pause`
    if (was === 'paused') return `controller ${id} is already paused`
    return `controller ${id} paused: it is cut off from the quorum until \`sluice controller resume ${id}\``
  }
}
