/**
 * The controller behind a queue: commands run one at a time against the current image, their
 * records are persisted in the metadata log, then applied, then answered (persist before you
 * answer), and every commit is announced to the brokers and to event subscribers.
 */
import type { CommandResult, Controller } from '../cluster/controller.js'
import type { MetadataRecord } from '../cluster/metadata.js'
import type { MetadataLog } from './metadata-log.js'

export class ControllerDriver {
  private tail: Promise<unknown> = Promise.resolve()

  constructor(
    readonly controller: Controller,
    private readonly metadataLog: MetadataLog,
    private readonly onCommitted: (records: MetadataRecord[], timestampMs: number) => void,
  ) {}

  submit<T>(command: () => CommandResult<T>, validateOnly = false): Promise<CommandResult<T>> {
    const run = async (): Promise<CommandResult<T>> => {
      const result = command()
      if (result.errorCode !== 0 || validateOnly || result.records.length === 0) return result
      const timestampMs = Date.now()
      await this.metadataLog.append(result.records, timestampMs)
      this.controller.commit(result.records)
      this.onCommitted(result.records, timestampMs)
      return result
    }
    const next = this.tail.then(run, run)
    this.tail = next.catch(() => undefined)
    return next
  }
}
