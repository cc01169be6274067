/**
 * The text of a fault, one line: what `sluice fault add` and `fault list` print and what the
 * daemon's `fault.added` event (shown by `sluice ui` and `cluster events`) says.
 */
import type { FaultSpec } from './control-contract.js'

/**
 * "latency 50±20 ms on broker 2", "latency 100 ms on the link 1-2", "cut link 1-3",
 * "NOT_LEADER_OR_FOLLOWER on the next 3 Produce request(s) to broker 2 (of 5)".
 * `remaining` is what an error fault in force still has to answer.
 */
export function describeFault(f: FaultSpec & { remaining?: number }): string {
  switch (f.kind) {
    case 'latency': {
      const where = f.link ? `the link ${f.link[0]}-${f.link[1]}` : `broker ${f.broker}`
      return `latency ${f.latencyMs}${f.jitterMs ? `±${f.jitterMs}` : ''} ms on ${where}`
    }
    case 'cut':
      return `cut link ${f.link[0]}-${f.link[1]}`
    case 'error':
      return `${f.error} on the next ${f.remaining ?? f.count} ${f.api} request(s) to broker ${f.broker}${f.remaining !== undefined && f.remaining < f.count ? ` (of ${f.count})` : ''}`
  }
}
