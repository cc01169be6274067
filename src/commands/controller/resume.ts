import { ControllerActionCommand } from '../../cli/controller-action.js'
import type { ControllerActionResult } from '../../common/control-contract.js'

export default class ControllerResume extends ControllerActionCommand<typeof ControllerResume> {
  static override summary = 'Resume a paused dedicated controller of the local cluster.'
  static override description = `The voter hears from the others again: it learns the current epoch and leader and catches up. Resuming a controller that is not paused does nothing.
Dedicated mode only: in combined mode use \`sluice broker resume ID\`.
Exit codes: 4 when there is no such controller; 2 in combined mode (the controller is its broker's: use the broker command), or (LOCAL_ONLY) when --bootstrap-server names another cluster.`
  static override examples = ['<%= config.bin %> controller resume 3000']

  protected readonly action = 'resume'

  protected describe({ id, was }: ControllerActionResult): string {
    return was === 'paused' ? `controller ${id} resumed` : `controller ${id} is not paused (${was}): nothing to resume`
  }
}
