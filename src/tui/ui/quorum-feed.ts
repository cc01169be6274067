/**
 * The controller quorum for the dashboard, through Kafka like `sluice cluster quorum`: every
 * QUORUM_REFRESH_MS in a RefreshLoop, DescribeQuorum's leader, epoch, high watermark and each
 * voter's lag. No leader (QUORUM_NO_MAJORITY) marks the quorum frozen, keeping the last voters;
 * other errors are kept for the pane with the last answer. Each refresh has a client of its own,
 * as the transactions feed does.
 */
import type { ClusterTarget } from '../../client/kafka.js'
import { describeQuorum, type QuorumDescription } from '../../client/quorum.js'
import { SluiceError } from '../../common/errors.js'
import { PolledFeed } from './polled-feed.js'
import type { QuorumState, QuorumSummary } from './types.js'

export const QUORUM_REFRESH_MS = 2_000

/** Where the feed reads the quorum (a fake in tests). */
export type QuorumSource = () => Promise<QuorumDescription>

export function kafkaQuorumSource(target: ClusterTarget): QuorumSource {
  // The pane shows no cluster id: no DescribeCluster every refresh.
  return () => describeQuorum(target, { withClusterId: false })
}

/** The voters of an answer, with their last fetch as an age at `nowMs`. */
export function quorumSummary(d: QuorumDescription, nowMs: number): QuorumSummary {
  return {
    leaderId: d.leaderId,
    epoch: d.leaderEpoch,
    highWatermark: d.highWatermark,
    maxFollowerLag: d.maxFollowerLag,
    voters: d.replicas
      .filter((r) => r.status !== 'Observer')
      .map((r) => ({
        id: r.nodeId,
        status: r.status === 'Leader' ? 'Leader' : 'Follower',
        logEndOffset: r.logEndOffset,
        lag: r.lag,
        fetchedAgoMs: r.lastFetchTimestamp < 0 ? null : Math.max(0, nowMs - r.lastFetchTimestamp),
      })),
  }
}

export class QuorumFeed extends PolledFeed<QuorumState> {
  constructor(private readonly source: QuorumSource) {
    super({ quorum: null, frozen: false, error: null, updatedAtMs: null }, QUORUM_REFRESH_MS)
  }

  async refresh(): Promise<void> {
    try {
      const answer = await this.source()
      if (this.loop.stopped) return
      this.set({ quorum: quorumSummary(answer, Date.now()), frozen: false, error: null, updatedAtMs: Date.now() })
    } catch (err) {
      if (this.loop.stopped) return
      if (err instanceof SluiceError && err.code === 'QUORUM_NO_MAJORITY') this.set({ ...this.state, frozen: true, error: null, updatedAtMs: Date.now() })
      else this.set({ ...this.state, error: err instanceof Error ? err.message : String(err) })
    }
  }

}
