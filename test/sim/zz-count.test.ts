import { it } from 'vitest'
import { runSeed } from '/work/main/test/sim/run.js'
it('count', async () => {
  const from = Number(process.env.FROM), to = Number(process.env.TO)
  const bad: string[] = []
  for (let s = from; s <= to; s++) {
    const r = await runSeed(s, { extras: ['deleteRecords', 'reassign'], quorum: process.env.QALL ? true : s % 10 === 0, ...(process.env.SNAP ? { snapshotBytes: Number(process.env.SNAP) } : {}) })
    if (r.failure) bad.push(`${s}: ${r.failure.message.slice(0, 160)}`)
  }
  console.log('FAILING', bad.length, '\n' + bad.join('\n'))
}, 3_600_000)
