export { startDaemon, stopDaemon, type StartDaemonOptions, type TestDaemon } from './daemon.js'
export { tempHome, type TempHome } from './home.js'
export { freePortRange } from './ports.js'
export { BIN, cleanEnv, REPO_ROOT, sluice, spawnSluice, type SluiceOptions, type SluiceResult } from './sluice.js'
