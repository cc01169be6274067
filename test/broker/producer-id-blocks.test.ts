import { describe, expect, it } from 'vitest'
import type { CommandResult } from '../../src/cluster/controller.js'
import { PRODUCER_ID_BLOCK_SIZE, ProducerIdBlocks } from '../../src/broker/producer-id-blocks.js'
import { ErrorCode } from '../../src/protocol/errors.js'

/** A controller handing out blocks from `next`, or refusing while `frozen` (a quorum without a majority). */
function controller() {
  const c = {
    next: 0,
    frozen: false,
    asked: 0,
    allocate: async (): Promise<CommandResult<number>> => {
      c.asked++
      if (c.frozen) return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no majority', records: [] }
      const first = c.next
      c.next += PRODUCER_ID_BLOCK_SIZE
      return { errorCode: ErrorCode.NONE, errorMessage: null, records: [], value: first }
    },
  }
  return c
}

describe('broker/producer-id-blocks', () => {
  it('hands out distinct ids, asking the controller for one block per thousand, the next one before the last runs out', async () => {
    const c = controller()
    const ids = new ProducerIdBlocks(c.allocate)
    const got = await Promise.all(Array.from({ length: 2500 }, () => ids.nextId()))
    const values = got.map((r) => r.value)
    expect(new Set(values).size).toBe(2500)
    expect(values.slice(0, 3)).toEqual([0, 1, 2])
    expect(c.asked).toBe(3)
  })

  it('goes on from its block while the controller refuses, and answers the refusal only once the block is used up', async () => {
    const c = controller()
    const ids = new ProducerIdBlocks(c.allocate)
    expect((await ids.nextId()).value).toBe(0)
    c.frozen = true
    // The prefetch (at 90%) is refused; the ids left in the block are still handed out.
    for (let i = 1; i < PRODUCER_ID_BLOCK_SIZE; i++) expect((await ids.nextId()).value).toBe(i)
    const refused = await ids.nextId()
    expect(refused.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT)
    c.frozen = false
    // A refused prefetch is asked again when needed.
    expect((await ids.nextId()).value).toBe(PRODUCER_ID_BLOCK_SIZE)
  })
})
