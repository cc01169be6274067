/**
 * The daemon on the controller quorum (src/daemon/cluster-runtime.ts, metadata-import.ts) at the
 * edges of a home's life: a home made before the quorum (one metadata LevelDB in <home>/metadata)
 * keeps its cluster id and topics, imported into the quorum on the first start, the old directory
 * renamed; `daemon start --controllers` refuses counts the quorum cannot have (exit 2).
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Controller } from '../../src/cluster/controller.js'
import { MetadataImage } from '../../src/cluster/metadata.js'
import { seededRng } from '../../src/cluster/rng.js'
import { MetadataLog } from '../../src/daemon/metadata-log.js'
import { sluice, startDaemon, stopDaemon, tempHome, type TempHome } from '../helpers/index.js'

const homes: TempHome[] = []
afterAll(async () => {
  for (const h of homes) await h.cleanup()
})

/** A pre-quorum home's metadata log: three brokers registered and topic `legacy`, as the old daemon wrote them. */
async function writePreQuorumLog(home: string): Promise<{ clusterId: string; topicId: string }> {
  const log = new MetadataLog(path.join(home, 'metadata'))
  await log.open()
  const clusterId = await log.clusterId()
  const controller = new Controller(new MetadataImage(), seededRng(1))
  const run = async (result: { records: Parameters<MetadataLog['append']>[0] }, t: number): Promise<void> => {
    await log.append(result.records, t)
    controller.commit(result.records)
  }
  for (const id of [1, 2, 3]) await run(controller.registerBroker(id, '127.0.0.1', 1, 1000 + id), 1000 + id)
  await run(controller.createTopic({ name: 'legacy', numPartitions: 2, replicationFactor: 3 }), 2000)
  await log.close()
  return { clusterId, topicId: controller.image.topicsByName.get('legacy')!.topicId }
}

describe('e2e/quorum-import', () => {
  it('imports a pre-quorum home: the same cluster id and topics, the old log renamed', async () => {
    const home = await tempHome()
    homes.push(home)
    const before = await writePreQuorumLog(home.path)
    const d = await startDaemon({ brokers: 3, home: home.path })
    try {
      const topics = await sluice(['topic', 'describe', 'legacy', '--json'], { home: d.home, env: d.env })
      expect(topics.exitCode).toBe(0)
      expect((JSON.parse(topics.stdout) as { topicId: string }).topicId.replaceAll('-', '')).toBe(before.topicId)
      expect(fs.readFileSync(path.join(home.path, 'logs', 'daemon.log'), 'utf8')).toContain(`clusterId=${before.clusterId}`)
      expect(fs.existsSync(path.join(home.path, 'metadata'))).toBe(false)
      expect(fs.existsSync(path.join(home.path, 'metadata.imported'))).toBe(true)
      expect(JSON.parse(fs.readFileSync(path.join(home.path, 'config.json'), 'utf8')).controllers).toBe(3)
      // A new topic lands after the imported ones.
      expect((await sluice(['topic', 'create', 'fresh'], { home: d.home, env: d.env })).exitCode).toBe(0)
    } finally {
      await stopDaemon(d)
    }
  })

  it('refuses a controller count the quorum cannot have, with exit 2', async () => {
    const home = await tempHome()
    homes.push(home)
    const tooMany = await sluice(['daemon', 'start', '--brokers', '1', '--controllers', '3', '--port', '1'], { home: home.path })
    expect(tooMany.exitCode).toBe(2)
    expect(tooMany.stderr).toMatch(/3 controllers need at least 3 brokers/)
    const even = await sluice(['daemon', 'start', '--brokers', '3', '--controllers', '2', '--port', '1'], { home: home.path })
    expect(even.exitCode).toBe(2)
    expect(even.stderr).toMatch(/controllers must be 1, 3 or 5/)
  })
})
