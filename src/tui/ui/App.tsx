/** The dashboard wired to its feeds: the hooks own the control connection and the Kafka clients. */
import type { ClusterFeed } from './cluster-feed.js'
import { Dashboard } from './Dashboard.js'
import type { GroupsFeed } from './groups-feed.js'
import { useCluster, useGroups, useTxns } from './hooks.js'
import type { TxnsFeed } from './txns-feed.js'

export interface AppProps {
  cluster: ClusterFeed
  groups: GroupsFeed
  txns: TxnsFeed
  home: string
  onExit: (code: number) => void
}

export function App({ cluster, groups, txns, home, onExit }: AppProps): React.JSX.Element {
  const view = useCluster(cluster)
  const groupsState = useGroups(groups)
  const txnsState = useTxns(txns)
  return (
    <Dashboard
      snapshot={view.snapshot}
      history={view.history}
      events={view.events}
      groups={groupsState}
      txns={txnsState}
      connection={view.connection}
      home={home}
      runAction={(action) => cluster.act(action)}
      onExit={onExit}
    />
  )
}
