/** The hooks that feed the dashboard: each starts its feed on mount and stops it on unmount. */
import { useEffect, useSyncExternalStore } from 'react'
import type { ClusterFeed, ClusterView } from './cluster-feed.js'
import type { GroupsFeed } from './groups-feed.js'
import type { TxnsFeed } from './txns-feed.js'
import type { GroupsState, TxnsState } from './types.js'

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
  useEffect(() => {
    feed.start()
    return () => void feed.stop()
  }, [feed])
  return useSyncExternalStore(
    (notify) => feed.onChange(notify),
    () => feed.current,
  )
}

/** The open transactions, refreshed through Kafka every few seconds. */
export function useTxns(feed: TxnsFeed): TxnsState {
  useEffect(() => {
    feed.start()
    return () => void feed.stop()
  }, [feed])
  return useSyncExternalStore(
    (notify) => feed.onChange(notify),
    () => feed.current,
  )
}
