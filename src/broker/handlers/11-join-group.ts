/**
 * JoinGroup (key 11), versions 0-9. The classic group protocol (see src/cluster/classic-group.ts): from
 * v4 a new member first gets MEMBER_ID_REQUIRED with its id; the response comes when the
 * rebalance completes. v5+ carries group.instance.id (static membership); v7+ answers the
 * protocol type, and a null protocol name with an error; v8's reason is not kept (Kafka logs it);
 * v9 (KIP-814): a static leader rejoining a stable group gets skipAssignment with the members.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { joinGroupApi, type JoinGroupRequest, type JoinGroupResponseInput } from '../../protocol/messages/11-join-group.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: JoinGroupRequest): Promise<JoinGroupResponseInput> {
  const { broker } = ctx
  const r = broker.running
    ? await broker.groups.join(req.groupId, {
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        clientId: ctx.clientId ?? '',
        clientHost: `/${ctx.clientHost}`,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: ctx.apiVersion >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        requireKnownMemberId: ctx.apiVersion >= 4,
        supportSkippingAssignment: ctx.apiVersion >= 9,
      })
    : { errorCode: ErrorCode.NOT_COORDINATOR, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: req.memberId, members: [] }
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: ctx.apiVersion >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment ?? false,
    memberId: r.memberId,
    members: r.members,
  }
}

defineHandler(joinGroupApi, { versions: '0-9', handle })
