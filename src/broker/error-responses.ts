/**
 * Responses that carry one error code everywhere, built from the request: what the fault
 * injector answers when a drill injects an error for an API ("the next 3 Produce requests to
 * broker 2 get NOT_LEADER_OR_FOLLOWER"). The request is not executed: nothing is appended.
 */
type Body = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const builders: Record<number, (req: Body, errorCode: number) => Body> = {
  // Produce
  0: (req, errorCode) => ({
    throttleTimeMs: 0,
    responses: req.topicData.map((t: Body) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p: Body) => ({
        index: p.index,
        errorCode,
        baseOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: -1,
        recordErrors: [],
        errorMessage: 'injected by a sluice fault',
      })),
    })),
  }),
  // Fetch
  1: (req, errorCode) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: req.topics.map((t: Body) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p: Body) => ({
        partitionIndex: p.partition,
        errorCode,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: [],
      })),
    })),
  }),
  // ListOffsets
  2: (req, errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t: Body) => ({
      name: t.name,
      partitions: t.partitions.map((p: Body) => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 })),
    })),
  }),
  // Metadata: brokers are still listed, every asked topic carries the error.
  3: (req, errorCode) => ({
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (req.topics ?? []).map((t: Body) => ({
      errorCode,
      name: t.name,
      topicId: '00000000000000000000000000000000',
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: -2147483648,
    })),
    clusterAuthorizedOperations: -2147483648,
  }),
}

/** API keys whose requests a fault can answer with an error. */
export const INJECTABLE_APIS: ReadonlyMap<number, string> = new Map([
  [0, 'Produce'],
  [1, 'Fetch'],
  [2, 'ListOffsets'],
  [3, 'Metadata'],
])

export function errorResponse(apiKey: number, request: Body, errorCode: number): Body | null {
  const build = builders[apiKey]
  return build ? build(request, errorCode) : null
}
