import { ControllerActionCommand } from '../../cli/controller-action.js'
import type { ControllerActionResult } from '../../common/control-contract.js'

export default class ControllerStart extends ControllerActionCommand<typeof ControllerStart> {
  static override summary = 'Start a killed dedicated controller of the local cluster again.'
  static override description = `The voter opens its Raft log again and catches up from the leader (by a snapshot if the leader's log no longer has what it lacks); with a majority running again, metadata changes commit again. Starting a running controller does nothing; starting a paused one resumes it.
Dedicated mode only: in combined mode use \`sluice broker start ID\`.
Exit codes: 4 when there is no such controller; 2 in combined mode (the controller is its broker's: use the broker command), or (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> controller start 3000']

  protected readonly action = 'start'

  protected describe({ id, was }: ControllerActionResult): string {
    if (was === 'killed') return `controller ${id} started`
    if (was === 'paused') return `controller ${id} was paused: resumed it`
    return `controller ${id} is already running`
  }
}
