/**
 * Flags shared by every command that talks Kafka, defined once so they read the same everywhere.
 */
import { Flags } from '@oclif/core'

/** `--bootstrap-server host:port[,host:port]`, else $SLUICE_BOOTSTRAP_SERVER, else the local daemon. */
export const bootstrapFlag = Flags.string({
  description: 'Kafka bootstrap servers, host:port[,host:port...] (default: the local sluice daemon, started on first use)',
  env: 'SLUICE_BOOTSTRAP_SERVER',
  helpValue: 'host:port',
})
