/** The dashboard wired to its feeds: the hooks own the control connection and the Kafka clients. */
import type { ClusterFeed } from './cluster-feed.js'
import { Dashboard } from './Dashboard.js'
import type { GroupsFeed } from './groups-feed.js'
import { useCluster, useGroups, useQuorum, useTxns } from './hooks.js'
import type { QuorumFeed } from './quorum-feed.js'
import type { TxnsFeed } from './txns-feed.js'

export interface AppProps {
  cluster: ClusterFeed
  groups: GroupsFeed
  txns: TxnsFeed
  quorum: QuorumFeed
  home: string
  onExit: (code: number) => void
}

export function App({ cluster, groups, txns, quorum, home, onExit }: AppProps): React.JSX.Element {
  const view = useCluster(cluster)
  const groupsState = useGroups(groups)
  const txnsState = useTxns(txns)
  const quorumState = useQuorum(quorum)
  return (
    <Dashboard
      snapshot={view.snapshot}
      history={view.history}
      events={view.events}
      groups={groupsState}
      txns={txnsState}
      quorum={quorumState}
      connection={view.connection}
      home={home}
      runAction={(action) => cluster.act(action)}
      onExit={onExit}
    />
  )
}
