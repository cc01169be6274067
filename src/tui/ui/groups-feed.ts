/**
 * Consumer groups for the dashboard, through Kafka like `sluice group list/describe`: every
 * GROUPS_REFRESH_MS, in a RefreshLoop. An error is kept for the groups pane with the last groups
 * (marked stale, as are groups that cannot be described or listed right now during a failover);
 * the Kafka client is made again on the next refresh, since a failover can leave it stuck on a
 * broker that is gone.
 */
import { GroupAdmin } from '../../client/group-admin.js'
import type { ClusterTarget } from '../../client/kafka.js'
import { WireClient } from '../../client/wire/client.js'
import { PolledFeed } from './polled-feed.js'
import type { GroupRow, GroupsState } from './types.js'

export const GROUPS_REFRESH_MS = 2_000
/**
 * How long a group missing from the list stays in the pane, marked stale: longer than a failover
 * (its coordinator's broker is fenced at the session timeout, 9 s, and another loads the group).
 */
export const STALE_KEEP_MS = 30_000
/** Groups described per refresh; more are listed without lag. */
const DESCRIBED_MAX = 20

/** The part of GroupAdmin the feed uses (a fake in tests). */
export interface GroupSource {
  list(): Promise<Array<{ group: string; state: string }>>
  describe(group: string): Promise<{ state: string; members: unknown[]; lag: number; partitions: Array<{ topic: string; lag: number }> }>
  close(): Promise<void>
}

export function kafkaGroupSource(target: ClusterTarget): GroupSource {
  const client = new WireClient(target, 'sluice-ui')
  const groups = new GroupAdmin(target, client)
  return {
    list: () => groups.list(),
    describe: (group) => groups.describe(group),
    close: async () => client.close(),
  }
}

/** A group's description as a row of the pane: total lag and lag per topic. */
export function groupRow(group: string, d: Awaited<ReturnType<GroupSource['describe']>>): GroupRow {
  const perTopic = new Map<string, number>()
  for (const p of d.partitions) perTopic.set(p.topic, (perTopic.get(p.topic) ?? 0) + p.lag)
  return { group, state: d.state, members: d.members.length, lag: d.lag, topics: [...perTopic].map(([topic, lag]) => ({ topic, lag })) }
}

export class GroupsFeed extends PolledFeed<GroupsState> {
  private source: GroupSource | undefined
  /** When each group was last listed (wall clock): a group missing for longer is dropped. */
  private readonly listedAtMs = new Map<string, number>()

  constructor(private readonly makeSource: () => GroupSource) {
    super({ groups: [], error: null, updatedAtMs: null }, GROUPS_REFRESH_MS)
  }

  override async stop(): Promise<void> {
    this.loop.stop()
    // Closing the clients under a refresh makes it fail at once rather than at its timeouts.
    const source = this.source
    this.source = undefined
    await source?.close()
    await this.loop.settled()
  }

  async refresh(): Promise<void> {
    try {
      this.source ??= this.makeSource()
      const source = this.source
      const list = await source.list()
      const nowMs = Date.now()
      const previous = new Map(this.state.groups.map((g) => [g.group, g]))
      const rows: GroupRow[] = []
      for (const [i, g] of list.entries()) {
        if (this.loop.stopped) return
        this.listedAtMs.set(g.group, nowMs)
        if (i >= DESCRIBED_MAX) {
          rows.push({ group: g.group, state: g.state, members: 0, lag: null, topics: [] })
          continue
        }
        try {
          rows.push(groupRow(g.group, await source.describe(g.group)))
        } catch {
          // Its coordinator is moving (or it went between list and describe): what was last
          // known of it, marked stale, rather than a row that looks like an idle group.
          const last = previous.get(g.group)
          rows.push(last ? { ...last, state: g.state, stale: true } : { group: g.group, state: g.state, members: 0, lag: null, topics: [], stale: true })
        }
      }
      // Groups the list left out (their coordinator did not answer) stay a while, marked stale.
      const listed = new Set(list.map((g) => g.group))
      for (const [group, last] of previous) {
        if (listed.has(group)) continue
        if (nowMs - (this.listedAtMs.get(group) ?? 0) > STALE_KEEP_MS) this.listedAtMs.delete(group)
        else rows.push({ ...last, stale: true })
      }
      rows.sort((a, b) => a.group.localeCompare(b.group))
      this.set({ groups: rows, error: null, updatedAtMs: nowMs })
    } catch (err) {
      if (this.loop.stopped) return
      const old = this.source
      this.source = undefined
      void old?.close().catch(() => undefined)
      this.set({ ...this.state, groups: this.state.groups.map((g) => ({ ...g, stale: true })), error: err instanceof Error ? err.message : String(err) })
    }
  }

}
