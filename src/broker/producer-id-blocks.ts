/**
 * A broker's producer ids, handed out from blocks the controller allocates (KIP-730: Kafka's
 * brokers ask the controller for AllocateProducerIds blocks of 1,000 and hand out ids from them;
 * the next block is fetched when 90% of the current one is used). One metadata commit per
 * thousand producers instead of one each, and InitProducerId keeps working while the controller
 * quorum is without a majority, for as long as the broker's block lasts.
 *
 * Ids of a block that a broker does not hand out (its process ends) are never handed out by
 * anyone: ids stay unique, as in Kafka, at the cost of gaps.
 */
import type { CommandResult } from '../cluster/controller.js'
import { ErrorCode } from '../protocol/errors.js'

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000
/** Kafka's RPCProducerIdManager.PRODUCER_ID_BLOCK_PREFETCH_THRESHOLD (as a share of the block left). */
const PREFETCH_WHEN_LEFT = PRODUCER_ID_BLOCK_SIZE / 10

export class ProducerIdBlocks {
  /** The next id to hand out and the end (exclusive) of the current block: empty at first. */
  private next = 0
  private end = 0
  /** The next block, asked for before the current one runs out. */
  private pending: Promise<CommandResult<number>> | null = null
  /** The ids handed out wait here in turn while a block is fetched, so each gets a distinct id. */
  private tail: Promise<unknown> = Promise.resolve()

  /** `allocateBlock` commits a block of PRODUCER_ID_BLOCK_SIZE ids at the controller; its value is the first id. */
  constructor(private readonly allocateBlock: () => Promise<CommandResult<number>>) {}

  /** The next producer id; the controller's refusal (a quorum without a majority) when none is left and no block comes. */
  nextId(): Promise<CommandResult<number>> {
    const run = async (): Promise<CommandResult<number>> => {
      if (this.next >= this.end) {
        const prefetched = this.pending === null ? null : await this.pending
        this.pending = null
        // A prefetch the controller refused (metadata frozen then) is asked again now.
        const block = prefetched?.errorCode === ErrorCode.NONE ? prefetched : await this.allocateBlock()
        if (block.errorCode !== ErrorCode.NONE || block.value === undefined) return block
        this.next = block.value
        this.end = block.value + PRODUCER_ID_BLOCK_SIZE
      }
      const id = this.next++
      if (this.end - this.next <= PREFETCH_WHEN_LEFT && this.pending === null) this.prefetch()
      return { errorCode: ErrorCode.NONE, errorMessage: null, records: [], value: id }
    }
    const result = this.tail.then(run, run)
    this.tail = result.catch(() => undefined)
    return result
  }

  private prefetch(): void {
    this.pending = this.allocateBlock().catch(
      (error: unknown): CommandResult<number> => ({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String(error), records: [] }),
    )
  }
}
