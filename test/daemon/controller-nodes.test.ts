import { describe, expect, it } from 'vitest'
import { ControllerNodes, type ControllerNodesParts } from '../../src/daemon/controller-nodes.js'

/** The refusals come before any voter is touched: no quorum is needed to check them. */
const nodes = (mode: 'combined' | 'dedicated', voters: number[]): ControllerNodes =>
  new ControllerNodes({ mode, voters, quorum: {}, transport: {}, log: {}, event: () => undefined, checkQuorum: () => undefined } as unknown as ControllerNodesParts)

describe('daemon/controller-nodes', () => {
  it("refuses a combined voter's actions, naming the broker command (exit 2)", async () => {
    const combined = nodes('combined', [1, 2, 3])
    await expect(combined.kill(2, false)).rejects.toMatchObject({ code: 'USAGE', exit: 2, message: expect.stringMatching(/sluice broker kill 2/) })
    expect(() => combined.pause(1)).toThrow(/sluice broker pause 1/)
  })

  it('refuses an id that is no voter (exit 4)', async () => {
    await expect(nodes('dedicated', [3000, 3001, 3002]).start(1)).rejects.toMatchObject({ code: 'NOT_FOUND', exit: 4 })
    await expect(nodes('combined', [1, 2, 3]).kill(4, true)).rejects.toMatchObject({ code: 'NOT_FOUND', exit: 4 })
  })
})
