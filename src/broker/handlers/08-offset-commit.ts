/**
 * OffsetCommit (key 8), versions 0-8. Member and generation are checked (generation -1 commits
 * are for groups with no members: admin resets and simple consumers); the offsets are appended to
 * __consumer_offsets with acks=all and answered once on every ISR member.
 * Not implemented: retention_time_ms (v2-4) is ignored; offsets are kept until deleted.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { registerHandler, type RequestContext } from '../handler.js'

interface OffsetCommitRequest {
  groupId: string
  generationIdOrMemberEpoch: number
  memberId: string
  groupInstanceId: string | null
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[] }[]
}

async function handle(ctx: RequestContext, req: OffsetCommitRequest): Promise<unknown> {
  const codes = ctx.broker.running
    ? await ctx.broker.groups.commitOffsets(
        req.groupId,
        { generationId: ctx.apiVersion >= 1 ? req.generationIdOrMemberEpoch : -1, memberId: ctx.apiVersion >= 1 ? req.memberId : '', groupInstanceId: req.groupInstanceId },
        req.topics,
      )
    : null
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: codes ? (codes.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.NONE) : ErrorCode.NOT_COORDINATOR,
      })),
    })),
  }
}

registerHandler({ apiKey: 8, name: 'OffsetCommit', minVersion: 0, maxVersion: 8, handle })
