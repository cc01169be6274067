/**
 * The control socket's wire format, shared by the daemon (server) and the CLI (client).
 *
 * Newline-delimited JSON over a Unix domain socket, one object per line:
 *   request   {"id":1,"method":"status","params":{}}
 *   response  {"id":1,"result":{...}}  or  {"id":1,"error":{"code":"...","message":"..."}}
 *   event     {"subscription":3,"event":"broker.killed","data":{...}}   (after a `subscribe`)
 * Events never carry an `id`, so a client tells them from responses by shape.
 */
import type { ClusterStatus } from './cluster.js'

export type RequestId = number | string

export interface ControlRequest {
  id: RequestId
  method: string
  params?: Record<string, unknown>
}

export interface ControlErrorBody {
  code: string
  message: string
}

export type ControlResponse =
  | { id: RequestId | null; result: unknown }
  | { id: RequestId | null; error: ControlErrorBody }

export interface ControlEventMessage {
  subscription: RequestId
  event: string
  data: unknown
}

/** The daemon's lifecycle, as `status` reports it. */
export type DaemonState = 'starting' | 'ready' | 'stopping'

/** The result of the `status` method. */
export interface DaemonStatus {
  pid: number
  home: string
  state: DaemonState
  /** ISO-8601 time the daemon process started. */
  startedAt: string
  uptimeMs: number
  bootstrap: string
  /** Null until every broker listener is up. */
  cluster: ClusterStatus | null
}

/** Params of `subscribe`: event names to receive; a name ending in '.' is a prefix. Absent = all. */
export interface SubscribeParams {
  events?: string[]
}

export interface SubscribeResult {
  subscription: RequestId
}

/** A line longer than this is a broken or hostile client; the connection is closed. */
export const CONTROL_LINE_BYTES_MAX = 1 << 20
