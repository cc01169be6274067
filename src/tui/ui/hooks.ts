/** The hooks that feed the dashboard: each starts its feed on mount and stops it on unmount. */
import { useEffect, useSyncExternalStore } from 'react'
import type { ClusterFeed, ClusterView } from './cluster-feed.js'
import type { GroupsFeed } from './groups-feed.js'
import type { QuorumFeed } from './quorum-feed.js'
import type { TxnsFeed } from './txns-feed.js'
import type { GroupsState, QuorumState, TxnsState } from './types.js'

/** A feed refreshed through Kafka on a RefreshLoop (groups, transactions, quorum). */
interface KafkaFeed<S> {
  start(): void
  stop(): Promise<void>
  onChange(listener: (s: S) => void): () => void
  readonly current: S
}

function useKafkaFeed<S>(feed: KafkaFeed<S>): S {
  useEffect(() => {
    feed.start()
    return () => void feed.stop()
  }, [feed])
  return useSyncExternalStore(
    (notify) => feed.onChange(notify),
    () => feed.current,
  )
}

/** The cluster as the control socket tells it: snapshot, rate history, events, connection. */
export function useCluster(feed: ClusterFeed): ClusterView {
  useEffect(() => {
    feed.start()
    return () => feed.stop()
  }, [feed])
  return useSyncExternalStore(
    (notify) => feed.onChange(notify),
    () => feed.current,
  )
}

/** The consumer groups, refreshed through Kafka every few seconds. */
export function useGroups(feed: GroupsFeed): GroupsState {
  return useKafkaFeed(feed)
}

/** The open transactions, refreshed through Kafka every few seconds. */
export function useTxns(feed: TxnsFeed): TxnsState {
  return useKafkaFeed(feed)
}

/** The controller quorum, refreshed through Kafka every few seconds. */
export function useQuorum(feed: QuorumFeed): QuorumState {
  return useKafkaFeed(feed)
}
