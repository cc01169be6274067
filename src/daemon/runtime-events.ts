/**
 * The daemon's runtime events: what happens to the running cluster that is not a metadata record
 * (a broker killed, started, paused or resumed, a fault added or cleared, a failover measured).
 * Published as they happen beside the metadata log's events, and the last RUNTIME_EVENTS_MAX kept
 * in memory for `cluster.events` (a restart forgets them). They carry `offset: null` and a `seq`.
 */
import { RUNTIME_EVENTS_MAX, type ClusterEvent, type RuntimeEventType } from '../cluster/events.js'

export class RuntimeEvents {
  private readonly kept: ClusterEvent[] = []
  private seq = 0

  constructor(private readonly onEvent: (e: ClusterEvent) => void) {}

  publish(type: RuntimeEventType, fields: Record<string, unknown>, message: string): void {
    const e: ClusterEvent = { ...fields, offset: null, seq: this.seq++, timestamp: new Date().toISOString(), type, message }
    this.kept.push(e)
    if (this.kept.length > RUNTIME_EVENTS_MAX) this.kept.shift()
    this.onEvent(e)
  }

  /** The kept events, oldest first. */
  list(): readonly ClusterEvent[] {
    return this.kept
  }
}

/** Metadata events and runtime events in one time order (each list is already in order). */
export function mergeByTime(metadata: readonly ClusterEvent[], runtime: readonly ClusterEvent[]): ClusterEvent[] {
  const out: ClusterEvent[] = []
  let j = 0
  for (const e of metadata) {
    while (j < runtime.length && runtime[j]!.timestamp < e.timestamp) out.push(runtime[j++]!)
    out.push(e)
  }
  while (j < runtime.length) out.push(runtime[j++]!)
  return out
}
