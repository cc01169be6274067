/**
 * The home is private: a home created beforehand with mode 0755 is tightened to 0700 when the
 * daemon starts (the note says so on stderr), and a directory that is not only sluice's (sticky,
 * like /tmp) is warned about, never changed. A control socket another user owns is refused with
 * DAEMON_PERMISSION_DENIED (exit 3), not "internal error" (that part needs root, to run the CLI as
 * another user; skipped otherwise).
 */
import fs from 'node:fs'
import path from 'node:path'
import { execa } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { secureHome } from '../../src/common/home-mode.js'
import { BIN, cleanEnv, freePortRange, sluice, tempHome, type TempHome } from '../helpers/index.js'

const homes: TempHome[] = []
afterEach(async () => {
  for (const h of homes.splice(0)) {
    await sluice(['daemon', 'stop'], { home: h.path })
    await h.cleanup()
  }
})

const modeOf = (p: string): number => fs.statSync(p).mode & 0o7777

describe('home permissions', () => {
  it('daemon start tightens a 0755 home to 0700 and says so; its brokers dir is 0700', async () => {
    const h = await tempHome()
    homes.push(h)
    fs.chmodSync(h.path, 0o755)
    const port = await freePortRange(1)
    const r = await sluice(['daemon', 'start', '--json'], { home: h.path, env: { SLUICE_PORT: String(port), SLUICE_BROKERS: '1' } })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/tightened the home .* from mode 0755 to 0700/)
    expect(modeOf(h.path)).toBe(0o700)
    expect(modeOf(path.join(h.path, 'brokers'))).toBe(0o700)
  })

  it('a sticky shared directory is warned about, never changed', async () => {
    const h = await tempHome()
    homes.push(h)
    fs.chmodSync(h.path, 0o1777)
    expect(secureHome(h.path)).toMatch(/is mode 01777: other users may read the record data/)
    expect(modeOf(h.path)).toBe(0o1777)
    fs.chmodSync(h.path, 0o700)
    expect(secureHome(h.path)).toBeNull()
  })

  it('a control socket refused for permissions says so (DAEMON_PERMISSION_DENIED, exit 3)', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip('needs root, to run the CLI as another user')
    // The other user must reach the CLI: a clone in a private directory (mktemp -d is 0700) is out of its reach.
    for (let dir = path.dirname(BIN); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if ((fs.statSync(dir).mode & 0o001) === 0) ctx.skip(`needs the checkout reachable by other users (${dir} is not)`)
    }
    const h = await tempHome()
    homes.push(h)
    fs.chmodSync(h.path, 0o700)
    // As nobody, the root-owned private home cannot even be searched: connect() fails with EACCES.
    const r = await execa(process.execPath, [BIN, 'daemon', 'status', '--json'], {
      reject: false,
      env: cleanEnv({ HOME: '/tmp' }, h.path),
      extendEnv: false,
      uid: 65534,
      gid: 65534,
    })
    expect(r.exitCode, String(r.stderr)).toBe(3)
    const out = JSON.parse(String(r.stdout)) as { error: { code: string; message: string } }
    expect(out.error.code).toBe('DAEMON_PERMISSION_DENIED')
    expect(out.error.message).toMatch(/permission denied on the daemon's control socket/)
  })
})
