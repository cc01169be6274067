/**
 * OffsetCommit (key 8), versions 0-9. Member and generation are checked (generation -1 commits
 * are for groups with no members: admin resets and simple consumers); the offsets are appended to
 * __consumer_offsets with acks=all and answered once on every ISR member.
 * v9 is v8: sluice's groups are classic groups, and Kafka 3.9's classic coordinator answers v9
 * as v8 (ILLEGAL_GENERATION for a generation of a group it does not know).
 * Not implemented: retention_time_ms (v2-4) is ignored; offsets are kept until deleted.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { offsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponseInput } from '../../protocol/messages/08-offset-commit.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: OffsetCommitRequest): Promise<OffsetCommitResponseInput> {
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

defineHandler(offsetCommitApi, { versions: '0-9', handle })
