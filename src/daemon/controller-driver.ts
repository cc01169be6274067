/**
 * The controller behind a queue: commands run one at a time against the current image, their
 * records are persisted in the metadata log, then applied, then answered (persist before you
 * answer), and every commit is announced to the brokers and to event subscribers.
 */
import type { CommandResult, Controller } from '../cluster/controller.js'
import { describeRecord, type ClusterEvent } from '../cluster/events.js'
import type { MetadataRecord } from '../cluster/metadata.js'
import type { MetadataLog } from './metadata-log.js'

export class ControllerDriver {
  private tail: Promise<unknown> = Promise.resolve()

  constructor(
    readonly controller: Controller,
    private readonly metadataLog: MetadataLog,
    private readonly onCommitted: (records: MetadataRecord[], events: ClusterEvent[]) => void,
  ) {}

  submit<T>(command: () => CommandResult<T>, validateOnly = false): Promise<CommandResult<T>> {
    const run = async (): Promise<CommandResult<T>> => {
      const result = command()
      if (result.errorCode !== 0 || validateOnly || result.records.length === 0) return result
      const timestampMs = Date.now()
      const firstOffset = await this.metadataLog.append(result.records, timestampMs)
      // Each record is told as an event against the image just before it.
      const events: ClusterEvent[] = []
      for (const [i, record] of result.records.entries()) {
        events.push(...describeRecord(this.controller.image, record, firstOffset + i, timestampMs))
        this.controller.commit([record])
      }
      this.onCommitted(result.records, events)
      return result
    }
    const next = this.tail.then(run, run)
    this.tail = next.catch(() => undefined)
    return next
  }
}
