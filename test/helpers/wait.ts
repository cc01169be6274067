/**
 * How long a test helper waits before it calls something hung: a CLI call is killed, a condition
 * given up on. Sized for a hang, not for a slow machine: on a 2-core machine shared with other
 * work (a second copy of the suite beside this one: load average 20 to 40), a command that takes
 * 0.3 s alone can take a minute, and a test that waits for a budget sized for a quiet machine
 * fails for nothing. Tests wait on conditions; only a hang runs into this.
 */
export const HANG_MS = 300_000

/**
 * kafkajs client options for tests that do not test kafkajs's own timeouts. Its default
 * connection timeout of 1 s fails on a loaded machine even though the socket connected: when the
 * test process stalls for longer than that, Node runs the expired timer before it handles the
 * connect event. Spread first, so that a test's own options win.
 */
export const KAFKAJS_UNDER_LOAD = { connectionTimeout: 60_000, requestTimeout: HANG_MS }

/**
 * Waiting on a condition, never a bare sleep: polls `probe` until it returns a value (anything but
 * undefined) and returns it; fails with `what` after `timeoutMs` (a hang).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = HANG_MS, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs / 1000} s: it hung)`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
