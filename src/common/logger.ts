/**
 * The logger every long-lived part of the daemon writes to (brokers, fetchers, the group
 * coordinator, the control server). Only the interface lives here, so that broker/ and daemon/ can
 * both name it; the implementation (JSON lines to a file, with a reserve for a full disk) is
 * daemon/logger.ts.
 */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}
